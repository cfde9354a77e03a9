// Spawned by determinism.test.ts: prints the batch digests and the dataset digest of a manifest
// (JSON on argv[2]) so two processes can be compared.
import { createBatchDigest, datasetDigest } from "../../src/determinism/index.ts";
import { ENTITY_TABLES, generateBatch, rowObject } from "../../src/factories/index.ts";
import { ENTITIES, type Manifest } from "../../src/manifest/index.ts";
import { contextFor } from "./utils.ts";

const manifest = JSON.parse(process.argv[2] as string) as Manifest;
const ctx = contextFor(manifest);
const batches: string[] = [];
for (const entity of ENTITIES) {
  const specs = ENTITY_TABLES[entity].columns.map((c) => c.name);
  for (let from = 0; from < ctx.counts[entity]; from += manifest.batch_size) {
    const to = Math.min(ctx.counts[entity], from + manifest.batch_size);
    const digest = createBatchDigest(specs);
    for (const row of generateBatch(ctx, entity, from, to).rows) digest.update(rowObject(entity, row));
    batches.push(digest.digest());
  }
}
console.log(JSON.stringify({ batches, dataset: datasetDigest(batches) }));
