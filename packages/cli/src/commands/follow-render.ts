/** How following a run draws its progress: bars with rows/s and ETA on a TTY, plain lines otherwise. */
import type { BatchPlan } from "@semente/core/pipeline";
import type { RunResource } from "@semente/platform/runs";

/** The renderer of one followed run. */
export type Renderer = ReturnType<typeof createRenderer>;

const BAR = 24;

function bar(done: number, total: number): string {
  const filled = total === 0 ? BAR : Math.min(BAR, Math.round((done / total) * BAR));
  return `[${"#".repeat(filled)}${"-".repeat(BAR - filled)}]`;
}

/** `42s`, `3m05s`, `--` when unknown. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** One bar per entity with its rows and ETA at `rate` rows/s. */
function barLines(planned: Map<string, number>, written: Map<string, number>, rate: number): string[] {
  return [...planned].map(([entity, p]) => {
    const w = written.get(entity) ?? 0;
    const eta = w >= p ? "done" : rate > 0 ? formatEta((p - w) / rate) : "--";
    return `  ${entity.padEnd(24)} ${bar(w, p)} ${String(w).padStart(8)}/${p}  ETA ${eta}`;
  });
}

/** A line per entity that finished since the last call (`announced` remembers them). */
function newlyFinished(planned: Map<string, number>, written: Map<string, number>, announced: Set<string>): string[] {
  const lines: string[] = [];
  for (const [entity, p] of planned) {
    const w = written.get(entity) ?? 0;
    if (w >= p && !announced.has(entity)) {
      announced.add(entity);
      lines.push(`  ${entity}: ${w}/${p} rows\n`);
    }
  }
  return lines;
}

/** Draws progress: bars redrawn in place on a TTY, one line per state change and finished entity otherwise. */
export function createRenderer(plan: BatchPlan, tty: boolean, write: (text: string) => void) {
  const planned = new Map<string, number>();
  for (const b of plan.batches) planned.set(b.entity, (planned.get(b.entity) ?? 0) + (b.to - b.from));
  const written = new Map<string, number>([...planned.keys()].map((e) => [e, 0]));
  const announced = new Set<string>();
  let lastState = "";
  let drawn = 0;
  return {
    written,
    planned,
    setEntity(entity: string, rows: number, plannedRows?: number) {
      if (plannedRows !== undefined && !planned.has(entity)) planned.set(entity, plannedRows);
      written.set(entity, rows);
    },
    draw(run: RunResource, rate: number) {
      if (run.state !== lastState) {
        if (!tty || drawn === 0) write(`run ${run.id}: ${run.state}\n`);
        lastState = run.state;
      }
      const total = [...written.values()].reduce((a, b) => a + b, 0);
      const rows = Math.max(run.progress.rows_written, total);
      if (tty) {
        const lines = barLines(planned, written, rate);
        lines.push(
          `  ${"total".padEnd(24)} ${bar(rows, plan.totalRows)} ${String(rows).padStart(8)}/${plan.totalRows}  ${Math.round(rate)} rows/s  [${run.state}]`,
        );
        write(`${drawn > 0 ? `\x1b[${drawn}A` : ""}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
        drawn = lines.length;
      } else {
        for (const line of newlyFinished(planned, written, announced)) write(line);
      }
    },
  };
}
