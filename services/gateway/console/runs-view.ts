/** The runs list: filters, the newest runs, and (dev only) a form that starts a seed from a shipped profile. */
import { client, ENVIRONMENTS, MODES, ok, type Run, STATES } from "./api.ts";
import { canCancel } from "./session.ts";
import { currentNavigation, guard, h, say, select, table, view } from "./ui.ts";

export async function runsView(params: URLSearchParams): Promise<void> {
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
  const [runs, body] = table({}, "Seed runs, newest first", [
    "Run",
    "Tenant",
    "Environment",
    "Mode",
    "State",
    "Rows",
    "Created",
  ]);
  const gen = currentNavigation();
  const start = await startForm();
  if (gen !== currentNavigation()) return;
  view("Seed runs", start, filters, runs);
  const query: Record<string, string | number> = { limit: 50 };
  for (const k of ["tenant", "environment", "state"]) {
    const v = params.get(k);
    if (v) query[k] = v;
  }
  await guard(async () => {
    const page = ok(await client.GET("/api/v1/seed-runs", { params: { query: query as never } }));
    const rows = (page.items as unknown as Run[]).filter((r) => !params.get("mode") || r.mode === params.get("mode"));
    for (const r of rows) body.append(runRow(r));
    say(`${rows.length} run(s)`);
  });
}

function runRow(r: Run): HTMLTableRowElement {
  return h(
    "tr",
    {},
    h("td", {}, h("a", { href: `#/runs/${r.id}` }, r.id.slice(0, 8))),
    h("td", {}, r.tenant),
    h("td", {}, r.environment),
    h("td", {}, `${r.mode}${r.dry_run ? " (dry run)" : ""}`),
    h("td", {}, r.state),
    h("td", {}, `${r.progress.rows_written} / ${r.progress.rows_planned ?? "?"}`),
    h("td", {}, new Date(r.created_at).toLocaleString()),
  );
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
