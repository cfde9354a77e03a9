#!/usr/bin/env bun
/**
 * Container healthcheck of the Semente image (the image has no curl or wget): GET /readyz on the
 * port the running service listens on. Docker runs it with the container's environment, in which
 * exactly one of these is set: EVIDENCE_HEALTH_PORT (evidence), HEALTH_PORT (planner, seeder),
 * GATEWAY_PORT (gateway). Exit 0 when ready, 1 otherwise.
 */
export const HEALTH_PORT_VARS = ["EVIDENCE_HEALTH_PORT", "HEALTH_PORT", "GATEWAY_PORT"] as const;

/** The port to probe, from the first of {@link HEALTH_PORT_VARS} that is set. */
export function healthPort(env: Record<string, string | undefined>): number | undefined {
  for (const name of HEALTH_PORT_VARS) {
    const value = env[name];
    if (value !== undefined && /^\d+$/.test(value)) return Number(value);
  }
  return undefined;
}

if (import.meta.main) {
  const port = healthPort(process.env);
  if (port === undefined) {
    console.error(`healthcheck: none of ${HEALTH_PORT_VARS.join(", ")} is set`);
    process.exit(1);
  }
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3_000) });
    process.exit(response.status === 200 ? 0 : 1);
  } catch {
    process.exit(1);
  }
}
