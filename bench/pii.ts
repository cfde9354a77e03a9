/**
 * PII masking throughput per field on one core, without any I/O:
 *   bun bench/pii.ts [rows]
 * The key is a fixed bench key (no provider needed); real runs take it from the KeyProvider.
 */
import { createHash } from "node:crypto";
import { createPiiMasker } from "../packages/core/src/pii/index.ts";

const rows = Number(process.argv[2] ?? 200_000);
const masker = createPiiMasker({ key: new Uint8Array(createHash("sha256").update("semente/bench/pii").digest()) });

const fields: Record<string, (i: number) => string> = {
  cpf: (i) => masker.cpf(i),
  cnpj: (i) => masker.cnpj(i),
  phone: (i) => masker.phone(i),
  email: (i) => masker.email(i, "Maria Silva"),
  fullName: (i) => masker.fullName(i),
};

console.log(`PII masking, ${rows.toLocaleString("en")} values per field, one core`);
for (const [name, fn] of Object.entries(fields)) {
  for (let i = 0; i < 2000; i++) fn(i);
  const start = performance.now();
  let length = 0;
  for (let i = 0; i < rows; i++) length += fn(i).length;
  const seconds = (performance.now() - start) / 1000;
  const perSecond = Math.round(rows / seconds);
  console.log(`${name.padEnd(9)} ${perSecond.toLocaleString("en").padStart(12)} values/s  (${length} chars)`);
}
