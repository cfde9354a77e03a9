import { readFileSync } from "node:fs";
import { batchCount, parseManifest, plannedRows } from "@semente/core/manifest";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";

const USAGE = `usage: semente validate <manifest.yaml> [--json]

Validates a seed profile against manifest schema v1, the Q11 caps, flags and window rules, offline.
Prints the manifest hash and planned rows per entity; exit 3 on an invalid manifest.`;

export const validateCommand: Command = {
  name: "validate",
  summary: "validate a seed profile offline and print its hash and plan",
  usage: USAGE,
  async run(argv) {
    const { positionals, values } = parse(argv, { json: { type: "boolean" }, profile: { type: "string" } });
    const file = values.profile ?? positionals[0];
    if (file === undefined) throw new UsageError(USAGE);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
    }
    const { manifest, hash } = parseManifest(text, { filename: file });
    const plan = plannedRows(manifest);
    if (values.json) {
      out(JSON.stringify({ file, manifest_hash: hash, plan }));
      return 0;
    }
    out(`${file}: valid (schema v1)`);
    out(`  tenant ${manifest.metadata.tenant} · environment ${manifest.metadata.environment} · mode ${manifest.mode}`);
    out(`  manifest hash ${hash}`);
    out(`  planned rows (${plan.total} in ${batchCount(manifest)} batches):`);
    for (const [entity, rows] of Object.entries(plan.perEntity))
      out(`    ${entity.padEnd(24)} ${String(rows).padStart(10)}`);
    return 0;
  },
};
