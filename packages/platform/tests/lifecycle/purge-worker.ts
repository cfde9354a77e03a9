// A purge in its own process, slowed down after every chunk so that a test can kill -9 it midway.
// argv: <seeder database url> <run id> <tenant> <chunk rows> <pause ms>
import { createSql } from "../../src/db/index.ts";
import { purgeTenant } from "../../src/lifecycle/index.ts";

const [url, runId, tenantId, chunk, pause] = process.argv.slice(2) as [string, string, string, string, string];
const sql = createSql(url, { max: 1 });
await purgeTenant({
  sql,
  runId,
  tenantId,
  environment: "dev",
  mode: "baseline",
  chunkRows: Number(chunk),
  onChunk: async (entity, rows) => {
    process.stdout.write(`chunk ${entity} ${rows}\n`);
    await Bun.sleep(Number(pause));
  },
});
process.stdout.write("done\n");
await sql.end();
