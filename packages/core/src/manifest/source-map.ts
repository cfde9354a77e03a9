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
    const found = child(node, token);
    if (found === undefined) break;
    best = found.at;
    node = found.node;
  }
  const offset = best?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** The member `token` of a mapping or sequence, and the node that marks its position; undefined when absent. */
function child(node: unknown, token: string): { node: unknown; at: Node } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === token);
    if (pair === undefined) return undefined;
    return { node: pair.value, at: (isScalar(pair.value) ? pair.value : pair.key) as Node };
  }
  if (isSeq(node)) {
    const item = node.items[Number(token)];
    if (item === undefined) return undefined;
    return { node: item, at: item as Node };
  }
  return undefined;
}

function unescapeToken(token: string): string {
  return token.replaceAll("~1", "/").replaceAll("~0", "~");
}
