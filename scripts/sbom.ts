#!/usr/bin/env bun
/**
 * CycloneDX 1.5 SBOM (JSON) of every package in bun.lock: name, version, npm purl and the
 * lockfile's SHA-512 integrity as a hash. Deterministic for one lockfile (no timestamp, serial
 * number derived from the lockfile's digest). Fails when a registry package has no integrity
 * hash (it could not be verified at install).
 *
 *   bun scripts/sbom.ts [--out sbom.cdx.json] [--lock bun.lock]
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface SbomComponent {
  type: "library";
  "bom-ref": string;
  name: string;
  group?: string;
  version: string;
  purl: string;
  hashes: { alg: "SHA-512"; content: string }[];
}

/** bun.lock is JSON with trailing commas. */
export function parseLock(text: string): { packages: Record<string, unknown[]>; workspaces: Record<string, unknown> } {
  return JSON.parse(text.replace(/,(\s*[}\]])/g, "$1"));
}

function splitSpec(spec: string): { name: string; version: string } {
  const at = spec.lastIndexOf("@");
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

function purlOf(name: string, version: string): string {
  const [scope, bare] = name.startsWith("@") ? (name.split("/") as [string, string]) : [undefined, name];
  return `pkg:npm/${scope === undefined ? "" : `${encodeURIComponent(scope)}/`}${bare}@${version}`;
}

/** The BOM of a lockfile, and one problem per package that cannot be listed honestly. */
export function buildSbom(lockText: string): { bom: Record<string, unknown>; problems: string[] } {
  const lock = parseLock(lockText);
  const problems: string[] = [];
  const components: SbomComponent[] = [];
  const seen = new Set<string>();
  for (const [key, entry] of Object.entries(lock.packages).sort(([a], [b]) => a.localeCompare(b))) {
    const spec = String(entry[0]);
    if (spec.includes("@workspace:")) continue;
    const { name, version } = splitSpec(spec);
    const integrity = entry.find((e): e is string => typeof e === "string" && e.startsWith("sha512-"));
    if (integrity === undefined) {
      problems.push(`${key}: ${spec} has no sha512 integrity in bun.lock`);
      continue;
    }
    const purl = purlOf(name, version);
    if (seen.has(purl)) continue;
    seen.add(purl);
    components.push({
      type: "library",
      "bom-ref": purl,
      ...(name.startsWith("@") ? { group: name.split("/")[0] as string } : {}),
      name: name.startsWith("@") ? (name.split("/")[1] as string) : name,
      version,
      purl,
      hashes: [{ alg: "SHA-512", content: Buffer.from(integrity.slice("sha512-".length), "base64").toString("hex") }],
    });
  }
  const digest = createHash("sha256").update(lockText).digest("hex");
  const serial = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  const root = lock.workspaces[""] as { name?: string } | undefined;
  const bom = {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    serialNumber: `urn:uuid:${serial}`,
    version: 1,
    metadata: {
      component: { type: "application", "bom-ref": "semente", name: root?.name ?? "semente" },
      tools: { components: [{ type: "application", name: "scripts/sbom.ts" }] },
    },
    components,
  };
  return { bom, problems };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const opt = (flag: string, def: string) => (args.includes(flag) ? (args[args.indexOf(flag) + 1] as string) : def);
  const root = join(import.meta.dir, "..");
  const { bom, problems } = buildSbom(readFileSync(resolve(opt("--lock", join(root, "bun.lock"))), "utf8"));
  for (const p of problems) console.error(`sbom: ${p}`);
  if (problems.length > 0) process.exit(1);
  const out = resolve(opt("--out", join(root, "sbom.cdx.json")));
  writeFileSync(out, `${JSON.stringify(bom, null, 2)}\n`);
  console.log(`sbom: ${(bom.components as unknown[]).length} components written to ${out}`);
}
