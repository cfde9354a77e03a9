import { createPermutation } from "../determinism/index.ts";
import type { StatePlan } from "./types.ts";

const SCALE = 1_000_000n;

/**
 * Exact row counts per state for `size` rows: count_s = round-half-even(p_s × size / 100), with
 * p_s read to 6 decimal places. Rounding each state separately can overshoot (size 3 at 50 % +
 * 50 % gives 2 + 2), so when the counts sum past `size` the last states give rows back, last
 * first, until the sum equals `size`.
 */
export function stateCounts(percentages: readonly number[], size: number): number[] {
  const counts = percentages.map((p) => {
    const scaled = BigInt(Math.round(p * 1_000_000)) * BigInt(size);
    const den = 100n * SCALE;
    const q = scaled / den;
    const r = scaled % den;
    const up = r * 2n > den || (r * 2n === den && q % 2n === 1n);
    return Number(up ? q + 1n : q);
  });
  let excess = counts.reduce((a, b) => a + b, 0) - size;
  for (let s = counts.length - 1; s >= 0 && excess > 0; s--) {
    const give = Math.min(counts[s] as number, excess);
    counts[s] = (counts[s] as number) - give;
    excess -= give;
  }
  return counts;
}

/**
 * Builds the state plan of one entity. The permutation is keyed by (manifest hash, tenant,
 * entity), so which rows carry a state is deterministic but scattered over the ordinals.
 */
export function createStatePlan(
  seed: string,
  states: readonly string[],
  percentages: readonly number[],
  happy: string,
  size: number,
): StatePlan {
  const counts = stateCounts(percentages, size);
  const bounds: number[] = [];
  let sum = 0;
  for (const c of counts) {
    sum += c;
    bounds.push(sum);
  }
  const permutation = sum > 0 ? createPermutation(`${seed}\nstates`, size) : undefined;
  return { states, happy, counts, bounds, size, permutation };
}

/** Rank of row `ordinal` in the plan's permutation (the ordinal itself when no state is drawn). */
export function stateRank(plan: StatePlan, ordinal: number): number {
  return plan.permutation === undefined ? ordinal : plan.permutation.forward(ordinal);
}

/** Index of the state of a rank into `plan.states`, or -1 for the happy state. */
export function stateIndexOfRank(plan: StatePlan, rank: number): number {
  const b = plan.bounds;
  for (let s = 0; s < b.length; s++) if (rank < (b[s] as number)) return s;
  return -1;
}

/** The state of row `ordinal` (O(1): one permutation evaluation). */
export function stateOf(plan: StatePlan | undefined, ordinal: number, happy: string): string {
  if (plan === undefined || plan.permutation === undefined) return happy;
  const s = stateIndexOfRank(plan, plan.permutation.forward(ordinal));
  return s < 0 ? plan.happy : (plan.states[s] as string);
}
