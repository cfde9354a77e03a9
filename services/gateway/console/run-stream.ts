/** Following a run's event stream over fetch (EventSource cannot send the bearer token), resuming on drops. */
import { decodeSse } from "../../../packages/platform/src/runs/sse.ts";
import { ApiError, client, ok } from "./api.ts";
import type { Json } from "./session.ts";
import { say } from "./ui.ts";

type OnEvent = (event: string, data: Json) => void;

/** Where a resumed stream picks up, and how long to wait before resuming (the server may change it). */
interface Cursor {
  lastId: string;
  retry: number;
}

/** Follows the run's event stream until it ends; returns what stops following. */
export function follow(id: string, onEvent: OnEvent): () => void {
  const abort = new AbortController();
  void (async () => {
    const cursor: Cursor = { lastId: "", retry: 2_000 };
    while (!abort.signal.aborted) {
      if (await readOnce(id, cursor, abort.signal, onEvent)) return;
      await new Promise((r) => setTimeout(r, cursor.retry));
    }
  })();
  return () => abort.abort();
}

/** One connection to the stream: true when following is over (the run ended, the user left, or the API refused). */
async function readOnce(id: string, cursor: Cursor, signal: AbortSignal, onEvent: OnEvent): Promise<boolean> {
  try {
    const body = ok(
      await client.GET("/api/v1/seed-runs/{id}/events", {
        params: { path: { id }, header: cursor.lastId ? { "Last-Event-ID": cursor.lastId } : {} },
        headers: { Accept: "text/event-stream" },
        parseAs: "stream",
        signal,
      }),
    ) as ReadableStream<Uint8Array>;
    for await (const m of decodeSse(body)) {
      if (m.id) cursor.lastId = m.id;
      if (m.retry !== undefined) cursor.retry = m.retry;
      onEvent(m.event ?? "message", JSON.parse(m.data) as Json);
      if (m.event === "end") return true;
    }
  } catch (error) {
    if (signal.aborted) return true;
    if (error instanceof ApiError) {
      say(error.message, "error");
      return true;
    }
  }
  return false;
}
