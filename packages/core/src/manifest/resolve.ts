import type { Manifest, Mode, ResolvedManifest, Timeouts } from "./types.ts";

/** Per-mode timeout defaults (R6.2), applied by `resolveManifest` and never hashed. */
export const TIMEOUT_DEFAULTS = {
  baseline: { statement_timeout_ms: 30_000, lock_timeout_ms: 5_000 },
  load: { statement_timeout_ms: 90_000, lock_timeout_ms: 15_000 },
  dr: { statement_timeout_ms: 90_000, lock_timeout_ms: 15_000 },
} as const satisfies Record<Mode, Required<Timeouts>>;

/** The manifest with defaults applied (timeouts per mode). The input is not modified. */
export function resolveManifest(manifest: Manifest): ResolvedManifest {
  const defaults = TIMEOUT_DEFAULTS[manifest.mode];
  return {
    ...manifest,
    timeouts: {
      statement_timeout_ms: manifest.timeouts?.statement_timeout_ms ?? defaults.statement_timeout_ms,
      lock_timeout_ms: manifest.timeouts?.lock_timeout_ms ?? defaults.lock_timeout_ms,
    },
  };
}
