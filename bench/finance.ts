// Throughput of the official finance routine: schedules/s (schedule only) and loans/s
// (schedule + IOF + CET) on one core. Run: bun bench/finance.ts
import { computeLoan, priceSchedule, sacSchedule } from "../packages/core/src/finance/index.ts";

const ROUNDS = 20_000;
const TERMS = [12, 24, 36, 48, 60];

function measure(label: string, run: (i: number) => unknown, rounds = ROUNDS): void {
  for (let i = 0; i < 500; i += 1) run(i);
  const started = performance.now();
  for (let i = 0; i < rounds; i += 1) run(i);
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(34)} ${Math.round(rounds / seconds).toLocaleString("en-US")} /s`);
}

const options = (i: number) => ({
  principalCents: 100_000 + ((i * 7919) % 9_900_000),
  monthlyRate: "0.0189",
  termMonths: TERMS[i % TERMS.length]!,
  firstDueOn: 20_120 + (i % 28),
});

measure("price schedules (12–60 months)", (i) => priceSchedule(options(i)));
measure("sac schedules (12–60 months)", (i) => sacSchedule(options(i)));
measure("loans (price + IOF + CET)", (i) =>
  computeLoan({ ...options(i), method: "price", borrower: i % 2 === 0 ? "PF" : "PJ", contractedOn: 20_090 }),
);
// The schema's longest term at a personal-credit rate: the exact balance path's worst case.
const long = (i: number) => ({ ...options(i), monthlyRate: "0.0497", termMonths: 420 });
measure("price schedules (420 months)", (i) => priceSchedule(long(i)), 2_000);
measure(
  "loans (price, 420 months)",
  (i) => computeLoan({ ...long(i), method: "price", borrower: "PF", contractedOn: 20_090 }),
  2_000,
);
