import { isMap, isPair, isScalar, isSeq, type LineCounter, type Node, type Pair } from "yaml";

/** A 1-based place in a text file. */
export interface Position {
  line: number;
  column: number;
}

export type DocumentPath = readonly (string | number)[];

/** Finds where a document path is written; `key: true` points at a map key instead of its value. */
export type PathLocator = (path: DocumentPath, options?: { key?: boolean }) => Position;

export const START_OF_FILE: Position = { line: 1, column: 1 };

function pairWithKey(node: Node, segment: string | number): Pair<unknown, unknown> | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find(
    (pair) => isScalar(pair.key) && String(pair.key.value) === String(segment),
  );
}

function asNode(value: unknown): Node | undefined {
  return value !== null && typeof value === "object" && "range" in value
    ? (value as Node)
    : undefined;
}

/**
 * Walks the parsed YAML tree along `path`. A path that leaves the tree (a missing key) stops at
 * the deepest node that exists, so "missing key" errors point at the map that lacks it.
 */
export function createLocator(root: unknown, lineCounter: LineCounter): PathLocator {
  const positionOf = (node: Node | undefined): Position => {
    const offset = node?.range?.[0];
    if (offset === undefined) return START_OF_FILE;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return (path, options = {}) => {
    let node = asNode(root);
    for (const [index, segment] of path.entries()) {
      if (node === undefined) break;
      const last = index === path.length - 1;
      if (isSeq(node) && typeof segment === "number") {
        const item = asNode(node.items[segment]);
        if (item === undefined) break;
        node = item;
        continue;
      }
      const pair = pairWithKey(node, segment);
      if (pair === undefined || !isPair(pair)) break;
      const key = asNode(pair.key);
      const value = asNode(pair.value);
      if (last && options.key) return positionOf(key);
      // `key:` with no value has no value node: point at the key.
      node = value ?? key;
      if (value === undefined) break;
    }
    return positionOf(node);
  };
}
