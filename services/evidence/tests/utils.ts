import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsWormStore, type WormStore } from "@semente/platform/evidence";

/** A throwaway folder for a filesystem WORM store; `cleanup()` removes it. */
export function tempWorm(): { dir: string; store: WormStore; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "semente-evidence-svc-"));
  return { dir, store: createFsWormStore({ dir }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A filesystem WORM store whose folder cannot exist (its parent is a file): preflight fails. */
export function brokenWorm(): { store: WormStore; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "semente-evidence-broken-"));
  const file = join(dir, "file");
  writeFileSync(file, "x");
  return {
    store: createFsWormStore({ dir: join(file, "worm") }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
