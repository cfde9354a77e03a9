/**
 * The run console (served at /console). Plain TypeScript and the DOM, bundled by `bun build` when
 * the gateway starts: no framework, no CDN. Every call goes to the gateway's public API with the
 * bearer token the user signed in with (kept in sessionStorage for the tab only).
 */
import createClient from "openapi-fetch";
import type { paths } from "../../../packages/core/src/contracts/seed-data-api.gen.ts";
import { decodeSse } from "../../../packages/platform/src/runs/sse.ts";
import { decodePayload, type Envelope, verifyEnvelope } from "./verify.ts";

type Json = Record<string, unknown>;
interface Run {
  id: string;
  tenant: string;
  environment: string;
  mode: string;
  dry_run: boolean;
  state: string;
  created_at: string;
  dataset_digest: string | null;
  progress: { rows_planned: number | null; rows_written: number };
}

const TERMINAL = new Set(["completed", "failed", "cancelled", "expired", "aborted"]);
const STATES = ["queued", "admitted", "planning", "running", ...TERMINAL];
const ENVIRONMENTS = ["dev", "homolog", "staging", "perf", "prod"];
const MODES = ["baseline", "load", "dr"];
const TOKEN_KEY = "semente.token";

const main = document.getElementById("main") as HTMLElement;
const status = document.getElementById("status") as HTMLElement;
const signOut = document.getElementById("sign-out") as HTMLButtonElement;
let stopStream: (() => void) | null = null;
/** Bumped on every navigation: a view that finished loading after the user moved on is dropped. */
let generation = 0;

/** Builds an element: `h("button", { type: "button" }, "Go")`. */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | ((e: Event) => void)> = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

function say(text: string, kind: "info" | "error" = "info"): void {
  status.textContent = text;
  status.dataset.kind = kind;
}

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** The token's claims (display only: the gateway decides what is allowed). */
function claims(): { sub?: string; roles: string[] } {
  const t = token();
  try {
    const part = (t ?? "").split(".")[1] ?? "";
    const json = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as Json;
    return { sub: String(json.sub ?? ""), roles: Array.isArray(json.roles) ? (json.roles as string[]) : [] };
  } catch {
    return { roles: [] };
  }
}

const canCancel = () => claims().roles.some((r) => r === "admin" || r === "seed-runner");
/** Only admins may replay a dead batch (the gateway refuses anyone else with 403). */
const canReplay = () => claims().roles.includes("admin");

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The gateway's API, typed by the contract (openapi-fetch over the generated `paths`). */
const client = createClient<paths>({ baseUrl: location.origin });
client.use({
  onRequest({ request }) {
    const t = token();
    if (t !== null) request.headers.set("Authorization", `Bearer ${t}`);
    return request;
  },
});

/** The data of a call, or an ApiError with the problem's detail (a 401 also signs out). */
function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  const { response } = result;
  if (response.status < 400 && result.data !== undefined) return result.data;
  const p = (result.error ?? {}) as Json;
  if (response.status === 401) sessionStorage.removeItem(TOKEN_KEY);
  throw new ApiError(response.status, String(p.detail ?? p.title ?? `HTTP ${response.status}`));
}

async function guard(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    say(error instanceof Error ? error.message : String(error), "error");
    if (error instanceof ApiError && error.status === 401) void route();
  }
}

function view(title: string, ...children: Node[]): void {
  stopStream?.();
  stopStream = null;
  document.title = `${title} · Semente console`;
  const heading = h("h1", { tabindex: "-1" }, title);
  main.replaceChildren(heading, ...children);
  heading.focus();
}

async function signInView(): Promise<void> {
  signOut.hidden = true;
  const input = h("textarea", { id: "token", name: "token", rows: "4", required: true, autocomplete: "off" });
  const form = h(
    "form",
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        // Changing the hash routes (hashchange); only an unchanged hash needs a direct call.
        if (location.hash === "#/runs") void route();
        else location.hash = "#/runs";
      },
    },
    h("label", { for: "token" }, "Bearer token"),
    input,
    h("button", { type: "submit" }, "Sign in"),
  );
  view("Sign in", form);
  const config = (await (await fetch("/console/config.json")).json()) as { dev_tokens: boolean };
  if (config.dev_tokens) {
    form.append(
      h(
        "button",
        {
          type: "button",
          id: "dev-token",
          onclick: () =>
            guard(async () => {
              const res = await fetch("/console/dev-token", { method: "POST" });
              if (!res.ok) throw new ApiError(res.status, "dev token refused");
              input.value = ((await res.json()) as { token: string }).token;
              say("Dev token minted (isolated dev only); sign in to use it.");
            }),
        },
        "Mint a dev token",
      ),
    );
  }
}

function select(id: string, label: string, options: string[], value: string): [HTMLLabelElement, HTMLSelectElement] {
  const s = h("select", { id, name: id }, h("option", { value: "" }, "any"));
  for (const o of options) s.append(h("option", { value: o, ...(o === value ? { selected: true } : {}) }, o));
  return [h("label", { for: id }, label), s];
}

async function runsView(params: URLSearchParams): Promise<void> {
  const tenant = h("input", { id: "f-tenant", name: "tenant", value: params.get("tenant") ?? "" });
  const env = select("f-environment", "Environment", ENVIRONMENTS, params.get("environment") ?? "");
  const mode = select("f-mode", "Mode", MODES, params.get("mode") ?? "");
  const state = select("f-state", "State", STATES, params.get("state") ?? "");
  const filters = h(
    "form",
    {
      class: "filters",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const q = new URLSearchParams();
        if (tenant.value) q.set("tenant", tenant.value);
        for (const [k, s] of [
          ["environment", env[1]],
          ["mode", mode[1]],
          ["state", state[1]],
        ] as const)
          if (s.value) q.set(k, s.value);
        location.hash = `#/runs?${q}`;
      },
    },
    h("label", { for: "f-tenant" }, "Tenant"),
    tenant,
    ...env,
    ...mode,
    ...state,
    h("button", { type: "submit" }, "Filter"),
  );
  const body = h("tbody");
  const table = h(
    "table",
    {},
    h("caption", {}, "Seed runs, newest first"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Run", "Tenant", "Environment", "Mode", "State", "Rows", "Created"].map((c) =>
          h("th", { scope: "col" }, c),
        ),
      ),
    ),
    body,
  );
  const gen = generation;
  const start = await startForm();
  if (gen !== generation) return;
  view("Seed runs", start, filters, table);
  const query: Record<string, string | number> = { limit: 50 };
  for (const k of ["tenant", "environment", "state"]) {
    const v = params.get(k);
    if (v) query[k] = v;
  }
  await guard(async () => {
    const page = ok(await client.GET("/api/v1/seed-runs", { params: { query: query as never } }));
    const rows = (page.items as unknown as Run[]).filter((r) => !params.get("mode") || r.mode === params.get("mode"));
    for (const r of rows) {
      body.append(
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: `#/runs/${r.id}` }, r.id.slice(0, 8))),
          h("td", {}, r.tenant),
          h("td", {}, r.environment),
          h("td", {}, `${r.mode}${r.dry_run ? " (dry run)" : ""}`),
          h("td", {}, r.state),
          h("td", {}, `${r.progress.rows_written} / ${r.progress.rows_planned ?? "?"}`),
          h("td", {}, new Date(r.created_at).toLocaleString()),
        ),
      );
    }
    say(`${rows.length} run(s)`);
  });
}

/** "Start a dev seed": the canonical dev profiles the gateway ships, submitted as they are. */
async function startForm(): Promise<Node> {
  const profiles = (await (await fetch("/console/profiles.json")).json()) as { name: string; yaml: string }[];
  if (profiles.length === 0 || !canCancel()) return document.createDocumentFragment();
  const pick = h("select", { id: "profile", name: "profile" });
  for (const p of profiles) pick.append(h("option", { value: p.name }, p.name));
  const dry = h("input", { type: "checkbox", id: "dry-run", name: "dry_run" });
  return h(
    "form",
    {
      class: "start",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void guard(async () => {
          const yaml = profiles.find((p) => p.name === pick.value)?.yaml ?? "";
          const run = ok(
            await client.POST("/api/v1/seed-runs", {
              body: { manifest_yaml: yaml, dry_run: dry.checked },
              params: { header: { "Idempotency-Key": crypto.randomUUID() } },
            }),
          ) as unknown as Run;
          say(`Run ${run.id} ${run.state}`);
          location.hash = `#/runs/${run.id}`;
        });
      },
    },
    h("h2", {}, "Start a dev seed"),
    h("label", { for: "profile" }, "Profile"),
    pick,
    h("label", { for: "dry-run" }, dry, " Dry run"),
    h("button", { type: "submit", id: "start" }, "Start"),
  );
}

async function runView(id: string): Promise<void> {
  const state = h("p", { id: "run-state", "aria-live": "polite" }, "…");
  const actions = h("div", { class: "actions" });
  const entities = h("div", { id: "entities", role: "group", "aria-label": "Progress per entity" });
  const rate = h("p", { id: "rate" }, "0 rows/s");
  const chart = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  chart.setAttribute("viewBox", "0 0 300 60");
  chart.setAttribute("role", "img");
  chart.setAttribute("aria-label", "Rows per second over time");
  chart.setAttribute("class", "chart");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  chart.append(line);
  const dlqBody = h("tbody");
  const dlq = h(
    "table",
    { id: "dlq" },
    h("caption", {}, "Dead-lettered batches"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Entity", "Batch", "Attempts", "Last error", ...(canReplay() ? ["Replay"] : [])].map((c) =>
          h("th", { scope: "col" }, c),
        ),
      ),
    ),
    dlqBody,
  );
  const evidence = h(
    "section",
    { id: "evidence", "aria-label": "Evidence" },
    h("h2", {}, "Evidence"),
    h("p", {}, "Not yet."),
  );
  view(
    `Run ${id.slice(0, 8)}`,
    h("p", {}, h("a", { href: "#/runs" }, "All runs")),
    state,
    actions,
    h("h2", {}, "Progress"),
    entities,
    rate,
    chart,
    dlq,
    evidence,
  );
  const bars = new Map<string, { bar: HTMLProgressElement; text: HTMLElement }>();
  const samples: number[] = [];
  const dlqSeen = new Set<string>();
  const replayCells = new Map<string, HTMLElement>();
  const refreshReplays = debounced(() => guard(() => drawReplays(id, replayCells)));
  let current: Run | null = null;

  const drawActions = () => {
    actions.replaceChildren();
    if (current === null || TERMINAL.has(current.state) || !canCancel()) return;
    actions.append(
      h(
        "button",
        {
          type: "button",
          id: "cancel",
          onclick: () =>
            guard(async () => {
              const got = await client.GET("/api/v1/seed-runs/{id}", { params: { path: { id } } });
              ok(got);
              const etag = got.response.headers.get("ETag") ?? "";
              ok(
                await client.POST("/api/v1/seed-runs/{id}/cancel", {
                  params: { path: { id }, header: { "If-Match": etag, "Idempotency-Key": crypto.randomUUID() } },
                }),
              );
              say("Cancel requested");
            }),
        },
        "Cancel run",
      ),
    );
  };
  const onEvent = (event: string, data: Json) => {
    if (event === "state") {
      current = data.run as Run;
      state.textContent = `State: ${current.state} · ${current.tenant}/${current.environment} · ${current.mode}${current.dry_run ? " (dry run)" : ""}`;
      state.dataset.state = current.state;
      drawActions();
    } else if (event === "progress") {
      const entity = String(data.entity);
      let b = bars.get(entity);
      if (b === undefined) {
        const barId = `bar-${entity}`;
        b = { bar: h("progress", { id: barId, max: "1", value: "0" }), text: h("span", {}) };
        entities.append(
          h("div", { class: "entity", "data-entity": entity }, h("label", { for: barId }, entity), b.bar, b.text),
        );
        bars.set(entity, b);
      }
      const planned = Number(data.rows_planned);
      const written = Number(data.rows_written);
      b.bar.max = Math.max(planned, 1);
      b.bar.value = written;
      const pct = planned === 0 ? 100 : Math.floor((written / planned) * 100);
      b.text.textContent = ` ${written} / ${planned} (${pct} %)`;
      b.text.parentElement?.setAttribute("data-pct", String(pct));
    } else if (event === "throughput") {
      const r = Number(data.rows_per_second);
      rate.textContent = `${r} rows/s`;
      samples.push(r);
      if (samples.length > 60) samples.shift();
      const max = Math.max(...samples, 1);
      line.setAttribute("points", samples.map((v, i) => `${i * 5},${60 - (v / max) * 58}`).join(" "));
    } else if (event === "dlq") {
      const key = `${data.entity}:${data.batch_index}`;
      if (dlqSeen.has(key)) return;
      dlqSeen.add(key);
      const err = data.last_error as Json | null;
      dlqBody.append(
        h(
          "tr",
          {},
          h("td", {}, String(data.entity)),
          h("td", {}, String(data.batch_index)),
          h("td", {}, String(data.attempts)),
          h("td", {}, err === null ? "" : String(err.code ?? JSON.stringify(err))),
          canReplay() ? replayCell(key, replayCells) : null,
        ),
      );
      refreshReplays();
    } else if (event === "evidence") {
      void guard(() => showEvidence(id, evidence));
    }
  };
  stopStream = follow(id, onEvent);
}

/** Calls `fn` once, shortly after the last of a burst of calls. */
function debounced(fn: () => unknown, ms = 200): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

function replayCell(key: string, cells: Map<string, HTMLElement>): HTMLElement {
  const cell = h("td", { "data-key": key });
  cells.set(key, cell);
  return cell;
}

/** Fills the Replay column: a button per dead batch not replayed yet (the DLQ entry ids come from the API). */
async function drawReplays(runId: string, cells: Map<string, HTMLElement>): Promise<void> {
  const { items } = ok(await client.GET("/api/v1/seed-runs/{id}/dlq", { params: { path: { id: runId } } }));
  for (const item of items) {
    const cell = cells.get(`${item.entity}:${item.batch_index}`);
    if (cell === undefined || cell.dataset.entry !== undefined) continue;
    cell.dataset.entry = item.entry;
    if (item.replayed) {
      cell.replaceChildren("replayed");
      continue;
    }
    const label = `Replay batch ${item.entity} #${item.batch_index}`;
    const button = h("button", { type: "button", class: "replay", "aria-label": label }, "Replay");
    button.addEventListener("click", () =>
      guard(async () => {
        const done = ok(
          await client.POST("/api/v1/seed-runs/{id}/dlq/{entry}/replay", {
            params: { path: { id: runId, entry: item.entry }, header: { "Idempotency-Key": crypto.randomUUID() } },
          }),
        );
        cell.replaceChildren(done.outcome === "resumed" ? `resumed as ${done.replay_run}` : "replayed");
        say(`Replayed ${item.entry} (${done.outcome})`);
      }),
    );
    cell.replaceChildren(button);
  }
}

/** Follows the run's event stream (fetch, since EventSource cannot send the bearer token), resuming on drops. */
function follow(id: string, onEvent: (event: string, data: Json) => void): () => void {
  const abort = new AbortController();
  void (async () => {
    let lastId = "";
    let retry = 2_000;
    while (!abort.signal.aborted) {
      try {
        const body = ok(
          await client.GET("/api/v1/seed-runs/{id}/events", {
            params: { path: { id }, header: lastId ? { "Last-Event-ID": lastId } : {} },
            headers: { Accept: "text/event-stream" },
            parseAs: "stream",
            signal: abort.signal,
          }),
        ) as ReadableStream<Uint8Array>;
        for await (const m of decodeSse(body)) {
          if (m.id) lastId = m.id;
          if (m.retry !== undefined) retry = m.retry;
          onEvent(m.event ?? "message", JSON.parse(m.data) as Json);
          if (m.event === "end") return;
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        if (error instanceof ApiError) return say(error.message, "error");
      }
      await new Promise((r) => setTimeout(r, retry));
    }
  })();
  return () => abort.abort();
}

async function showEvidence(id: string, section: HTMLElement): Promise<void> {
  const text = ok(
    await client.GET("/api/v1/seed-runs/{id}/evidence", { params: { path: { id } }, parseAs: "text" }),
  ) as string;
  const envelope = JSON.parse(text) as Envelope;
  const report = decodePayload(envelope) as {
    dataset: { digest: string | null; matches_recorded: boolean };
    checklist: { id: string; status: string; summary: string }[];
  };
  const sig = h("p", { id: "signature" }, "Signature: checking…");
  const list = h("ul", { id: "checklist" });
  for (const c of report.checklist) {
    list.append(h("li", { "data-status": c.status }, h("strong", {}, `${c.id}: ${c.status}`), ` — ${c.summary}`));
  }
  const href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  section.replaceChildren(
    h("h2", {}, "Evidence"),
    h(
      "p",
      { id: "digest" },
      `Dataset digest: ${report.dataset.digest ?? "-"}${report.dataset.matches_recorded ? " (matches the run)" : ""}`,
    ),
    sig,
    h("h3", {}, "Checklist"),
    list,
    h("a", { href, download: `evidence-${id}.dsse.json`, id: "download" }, "Download the signed envelope"),
  );
  // Not in this branch's contract yet (the JWKS route is another issue's): a plain fetch.
  const keys = await fetch("/api/v1/evidence/keys", { headers: { Authorization: `Bearer ${token()}` } });
  if (!keys.ok) {
    sig.textContent = "Signature: not checked (this gateway publishes no evidence keys)";
    sig.dataset.status = "unchecked";
    return;
  }
  const result = await verifyEnvelope(envelope, (await keys.json()) as { keys?: [] });
  sig.dataset.status = result.status;
  sig.textContent =
    result.status === "valid"
      ? `Signature: valid (key ${result.keyid})`
      : result.status === "unknown-key"
        ? `Signature: signed by an unknown key (${result.keyids.join(", ")})`
        : `Signature: ${result.status} (${result.reason})`;
}

async function route(): Promise<void> {
  generation += 1;
  const hash = location.hash.replace(/^#/, "") || "/runs";
  if (token() === null) return signInView();
  signOut.hidden = false;
  const [path, query] = hash.split("?");
  const m = /^\/runs\/([0-9a-f-]{36})$/.exec(path ?? "");
  if (m !== null) return runView(m[1] as string);
  return runsView(new URLSearchParams(query ?? ""));
}

signOut.addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = "#/";
  void route();
});
window.addEventListener("hashchange", () => void route());
void route();
