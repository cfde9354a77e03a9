/** One run, live: its state, progress per entity, throughput, dead-lettered batches (with replay) and evidence. */
import { client, ok, type Run, TERMINAL } from "./api.ts";
import { showEvidence } from "./evidence-view.ts";
import { follow } from "./run-stream.ts";
import { canCancel, canReplay, type Json } from "./session.ts";
import { debounced, guard, h, onLeave, say, table, view } from "./ui.ts";

/** The run view's elements and what its stream has shown so far. */
interface RunPage {
  id: string;
  state: HTMLElement;
  actions: HTMLElement;
  entities: HTMLElement;
  rate: HTMLElement;
  line: SVGPolylineElement;
  dlqBody: HTMLElement;
  evidence: HTMLElement;
  bars: Map<string, { bar: HTMLProgressElement; text: HTMLElement }>;
  samples: number[];
  dlqSeen: Set<string>;
  replayCells: Map<string, HTMLElement>;
  refreshReplays: () => void;
  current: Run | null;
}

export function runView(id: string): void {
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
  const [dlq, dlqBody] = table({ id: "dlq" }, "Dead-lettered batches", [
    "Entity",
    "Batch",
    "Attempts",
    "Last error",
    ...(canReplay() ? ["Replay"] : []),
  ]);
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
  const replayCells = new Map<string, HTMLElement>();
  const page: RunPage = {
    id,
    state,
    actions,
    entities,
    rate,
    line,
    dlqBody,
    evidence,
    bars: new Map(),
    samples: [],
    dlqSeen: new Set(),
    replayCells,
    refreshReplays: debounced(() => guard(() => drawReplays(id, replayCells))),
    current: null,
  };
  onLeave(follow(id, (event, data) => ON_EVENT.get(event)?.(page, data)));
}

/** What each kind of stream event changes on the page (other kinds are ignored). */
const ON_EVENT = new Map<string, (page: RunPage, data: Json) => void>([
  ["state", showState],
  ["progress", showProgress],
  ["throughput", showThroughput],
  ["dlq", showDeadBatch],
  ["evidence", (page) => void guard(() => showEvidence(page.id, page.evidence))],
]);

function showState(page: RunPage, data: Json): void {
  const current = data.run as Run;
  page.current = current;
  page.state.textContent = `State: ${current.state} · ${current.tenant}/${current.environment} · ${current.mode}${current.dry_run ? " (dry run)" : ""}`;
  page.state.dataset.state = current.state;
  drawActions(page);
}

function showProgress(page: RunPage, data: Json): void {
  const entity = String(data.entity);
  let b = page.bars.get(entity);
  if (b === undefined) {
    const barId = `bar-${entity}`;
    b = { bar: h("progress", { id: barId, max: "1", value: "0" }), text: h("span", {}) };
    page.entities.append(
      h("div", { class: "entity", "data-entity": entity }, h("label", { for: barId }, entity), b.bar, b.text),
    );
    page.bars.set(entity, b);
  }
  const planned = Number(data.rows_planned);
  const written = Number(data.rows_written);
  b.bar.max = Math.max(planned, 1);
  b.bar.value = written;
  const pct = planned === 0 ? 100 : Math.floor((written / planned) * 100);
  b.text.textContent = ` ${written} / ${planned} (${pct} %)`;
  b.text.parentElement?.setAttribute("data-pct", String(pct));
}

function showThroughput(page: RunPage, data: Json): void {
  const r = Number(data.rows_per_second);
  page.rate.textContent = `${r} rows/s`;
  page.samples.push(r);
  if (page.samples.length > 60) page.samples.shift();
  const max = Math.max(...page.samples, 1);
  page.line.setAttribute("points", page.samples.map((v, i) => `${i * 5},${60 - (v / max) * 58}`).join(" "));
}

function showDeadBatch(page: RunPage, data: Json): void {
  const key = `${data.entity}:${data.batch_index}`;
  if (page.dlqSeen.has(key)) return;
  page.dlqSeen.add(key);
  const err = data.last_error as Json | null;
  page.dlqBody.append(
    h(
      "tr",
      {},
      h("td", {}, String(data.entity)),
      h("td", {}, String(data.batch_index)),
      h("td", {}, String(data.attempts)),
      h("td", {}, err === null ? "" : String(err.code ?? JSON.stringify(err))),
      canReplay() ? replayCell(key, page.replayCells) : null,
    ),
  );
  page.refreshReplays();
}

/** The Cancel button, while the run can still be cancelled and the user may cancel it. */
function drawActions(page: RunPage): void {
  const { id, current, actions } = page;
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
