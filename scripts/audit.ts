#!/usr/bin/env bun
/**
 * Dependency audit gate: `bun audit --production --audit-level=critical --json` against the
 * registry's advisory database; fails on any critical advisory of a production dependency.
 * When the advisory database cannot be reached (the development machines' registry mirror answers
 * HTTP 405 to the bulk advisory endpoint) the gate reports "not checked" and passes, unless
 * SEMENTE_AUDIT_REQUIRED=1 (set in the GitHub workflow), where it fails.
 *
 *   bun scripts/audit.ts
 */

/** An advisory as the npm bulk endpoint returns it. */
export interface Advisory {
  id: number;
  title: string;
  severity: string;
  url: string;
  vulnerable_versions: string;
}

export type AuditOutcome =
  | { kind: "clean" }
  | { kind: "critical"; findings: string[] }
  | { kind: "unavailable"; reason: string };

/** Reads `bun audit --json` output (advisories by package name), or its error text. */
export function parseAudit(stdout: string, stderr: string): AuditOutcome {
  let report: Record<string, Advisory[]>;
  try {
    report = JSON.parse(stdout.trim() === "" ? "null" : stdout) as Record<string, Advisory[]>;
  } catch {
    report = null as unknown as Record<string, Advisory[]>;
  }
  if (report === null || typeof report !== "object") {
    const reason = `${stdout}\n${stderr}`.split("\n").find((l) => /error/i.test(l)) ?? "no JSON report";
    return { kind: "unavailable", reason: reason.trim() };
  }
  const findings = Object.entries(report).flatMap(([name, advisories]) =>
    advisories
      .filter((a) => a.severity === "critical")
      .map((a) => `${name} ${a.vulnerable_versions}: ${a.title} (${a.url})`),
  );
  return findings.length > 0 ? { kind: "critical", findings } : { kind: "clean" };
}

/** Runs the audit in `cwd` with `env` (BUN_CONFIG_REGISTRY picks the registry). */
export async function runAudit(cwd: string, env: Record<string, string | undefined> = process.env) {
  const proc = Bun.spawn([process.execPath, "audit", "--production", "--audit-level=critical", "--json"], {
    cwd,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  return parseAudit(stdout, stderr);
}

if (import.meta.main) {
  const outcome = await runAudit(process.cwd());
  if (outcome.kind === "critical") {
    for (const f of outcome.findings) console.error(`audit: critical: ${f}`);
    process.exit(1);
  }
  if (outcome.kind === "unavailable") {
    const required = process.env.SEMENTE_AUDIT_REQUIRED === "1";
    console[required ? "error" : "log"](`audit: advisory database unreachable, not checked (${outcome.reason})`);
    process.exit(required ? 1 : 0);
  }
  console.log("audit: no critical advisory in production dependencies");
}
