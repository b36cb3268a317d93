/**
 * YAML anchors that other places use: an edit that drops or rewrites an anchored value would
 * change or break every alias of it, so such edits are refused. Pure.
 */
import { isAlias, isNode, visit, type Document, type Node } from 'yaml';

export interface SharedAnchor {
  anchor: string;
  /** Offset of the anchored value, inside the node looked at. */
  anchorOffset: number;
  /** Offset of an alias of it, outside that node. */
  aliasOffset: number;
}

/** The first anchor set inside `node` that an alias outside it refers to, or null. */
export function findSharedAnchor(doc: Document, node: unknown): SharedAnchor | null {
  if (!isNode(node) || !node.range) return null;
  const [start, , end] = node.range;
  const inside = (offset: number) => offset >= start && offset < end;
  // An alias refers to the last value given its anchor before it (YAML 1.2, 7.1), so anchors are tracked in document order.
  const named = new Map<string, Node>();
  let found = null as SharedAnchor | null;
  visit(doc, (_key, child) => {
    if (!isNode(child) || !child.range) return undefined;
    if (isAlias(child)) {
      const anchored = named.get(child.source)?.range?.[0];
      if (anchored === undefined || !inside(anchored) || inside(child.range[0])) return undefined;
      found = { anchor: child.source, anchorOffset: anchored, aliasOffset: child.range[0] };
      return visit.BREAK;
    }
    if (child.anchor) named.set(child.anchor, child);
    return undefined;
  });
  return found;
}
