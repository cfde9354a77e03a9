import { sha256Hex } from "@semente/shared/governance";
import { type ParsedManifest, parseManifest } from "@semente/shared/manifest";

/** Parses manifest text (YAML or JSON by media type); throws what `parseManifest` throws. */
export type ManifestParser = (text: string, contentType: string) => ParsedManifest;

/** Options of `createManifestParser`. */
export interface ManifestParserOptions {
  /** Parse outcomes kept; the least recently used is dropped beyond it. @default 256 */
  maxEntries?: number;
}

type Outcome = { parsed: ParsedManifest } | { error: unknown };

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** The uncached parser. */
export const parseUncached: ManifestParser = (text, contentType) => parseManifest(text, { contentType });

/**
 * A parser that remembers outcomes by (media type, sha256 of the text). Parsing is a pure function
 * of those two, and the YAML parser with its source map dominates a validate request's CPU, while
 * clients (CI pipelines, retries under a new Idempotency-Key) send the same manifest again and again.
 * Cached manifests are deep-frozen: every request shares them.
 */
export function createManifestParser(options: ManifestParserOptions = {}): ManifestParser {
  const maxEntries = options.maxEntries ?? 256;
  const outcomes = new Map<string, Outcome>();
  return (text, contentType) => {
    const key = `${contentType}\n${sha256Hex(text)}`;
    let outcome = outcomes.get(key);
    if (outcome === undefined) {
      try {
        outcome = { parsed: deepFreeze(parseUncached(text, contentType)) };
      } catch (error) {
        outcome = { error };
      }
    }
    // Re-inserting keeps the Map in least-recently-used order, so eviction drops the idlest entry.
    outcomes.delete(key);
    outcomes.set(key, outcome);
    if (outcomes.size > maxEntries) outcomes.delete(outcomes.keys().next().value as string);
    if ("error" in outcome) throw outcome.error;
    return outcome.parsed;
  };
}
