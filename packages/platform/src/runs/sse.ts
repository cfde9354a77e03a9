/** One Server-Sent Events message (WHATWG HTML, "Server-sent events"). */
export interface SseMessage {
  /** `event:` field; absent means `message`. */
  event?: string;
  /** `data:` payload (may span lines). */
  data: string;
  /** `id:` field; sets the client's last event id. */
  id?: string;
  /** `retry:` reconnection time in milliseconds. */
  retry?: number;
}

/** Encodes messages in the text/event-stream format (one line per data line, blank line after each). */
export function encodeSse(message: SseMessage): string {
  let out = "";
  if (message.event !== undefined) out += `event: ${oneLine(message.event)}\n`;
  for (const line of message.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  if (message.id !== undefined) out += `id: ${oneLine(message.id)}\n`;
  if (message.retry !== undefined) out += `retry: ${Math.max(0, Math.trunc(message.retry))}\n`;
  return `${out}\n`;
}

/** A comment line: ignored by clients, keeps proxies and idle timers from closing the stream. */
export function encodeSseComment(text: string): string {
  return `: ${oneLine(text)}\n\n`;
}

function oneLine(value: string): string {
  // A field value cannot carry a line break (or NUL in an id): it would start a new field.
  return value.replace(/[\r\n\0]/g, " ");
}

/**
 * Decodes a text/event-stream body into messages, as the WHATWG parser does: comments skipped,
 * `data` lines joined with `\n`, `id` remembered across messages (the returned `id` is the last
 * event id in force), a message without data dropped.
 */
export async function* decodeSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage & { id: string }> {
  const decoder = new TextDecoder();
  const state: DecodeState = { lastId: "", data: [] };
  let buffer = "";
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (let next = nextLine(buffer, done); next !== undefined; next = nextLine(buffer, done)) {
        buffer = next.rest;
        const message = applyLine(state, next.line);
        if (message !== undefined) yield message;
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The message being read, and the last event id in force. */
interface DecodeState {
  lastId: string;
  event?: string | undefined;
  data: string[];
  retry?: number | undefined;
}

/** The first complete line of `buffer` and what follows it; undefined until a line is complete. */
function nextLine(buffer: string, done: boolean): { line: string; rest: string } | undefined {
  const m = /\r\n|\r|\n/.exec(buffer);
  // A lone trailing \r may be the first half of \r\n: wait for more input unless the body ended.
  if (m === null || (m[0] === "\r" && m.index === buffer.length - 1 && !done)) return undefined;
  return { line: buffer.slice(0, m.index), rest: buffer.slice(m.index + m[0].length) };
}

/** Applies one line; returns the message a blank line completes, when it carries data. */
function applyLine(state: DecodeState, line: string): (SseMessage & { id: string }) | undefined {
  if (line === "") return dispatch(state);
  if (line.startsWith(":")) return undefined;
  const colon = line.indexOf(":");
  const field = colon === -1 ? line : line.slice(0, colon);
  let value = colon === -1 ? "" : line.slice(colon + 1);
  if (value.startsWith(" ")) value = value.slice(1);
  if (field === "event") state.event = value;
  else if (field === "data") state.data.push(value);
  else if (field === "id" && !value.includes("\0")) state.lastId = value;
  else if (field === "retry" && /^\d+$/.test(value)) state.retry = Number(value);
  return undefined;
}

/** The message read so far (none without data), and a fresh one begun. */
function dispatch(state: DecodeState): (SseMessage & { id: string }) | undefined {
  let message: (SseMessage & { id: string }) | undefined;
  if (state.data.length > 0) {
    message = { data: state.data.join("\n"), id: state.lastId };
    if (state.event !== undefined) message.event = state.event;
    if (state.retry !== undefined) message.retry = state.retry;
  }
  state.event = undefined;
  state.data = [];
  state.retry = undefined;
  return message;
}
