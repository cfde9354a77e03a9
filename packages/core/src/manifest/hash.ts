import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical-json.ts";
import type { Manifest } from "./types.ts";

/**
 * `sha256:<hex>` of the manifest's canonical JSON. Computed over what the user wrote (defaults
 * are never filled in first), so it is stable under key order and YAML/JSON formatting and
 * changes whenever any value changes.
 */
export function manifestHash(manifest: Manifest): string {
  return `sha256:${createHash("sha256").update(canonicalJson(manifest), "utf8").digest("hex")}`;
}
