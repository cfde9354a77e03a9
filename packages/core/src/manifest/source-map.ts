import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";

/** 1-based line and column in the source text. */
export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * Where a JSON pointer lies in a parsed YAML/JSON document: a scalar value's own position, a
 * collection's key (its value usually starts on the next line), or — for a member that does not
 * exist, such as a missing required field — the deepest ancestor that does.
 */
export function locatePointer(doc: Document, lineCounter: LineCounter, pointer: string): SourcePosition {
  let node: unknown = doc.contents;
  let best: Node | undefined = doc.contents ?? undefined;
  const tokens = pointer === "" ? [] : pointer.slice(1).split("/").map(unescapeToken);
  for (const token of tokens) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === token);
      if (pair === undefined) break;
      best = (isScalar(pair.value) ? pair.value : pair.key) as Node;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(token)];
      if (item === undefined) break;
      best = item as Node;
      node = item;
    } else {
      break;
    }
  }
  const offset = best?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function unescapeToken(token: string): string {
  return token.replaceAll("~1", "/").replaceAll("~0", "~");
}
