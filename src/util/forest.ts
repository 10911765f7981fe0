/** How `buildForest` reads an item. */
export interface ForestShape<T, N extends { children: N[] }> {
  /** The item's id (a later item with the same id replaces an earlier one). */
  readonly id: (item: T) => string;
  /** Its parent's id, if any. */
  readonly parentId: (item: T) => string | null | undefined;
  /** A new node for the item, with empty `children`. */
  readonly node: (item: T) => N;
  /** When given, siblings are sorted by it (stable: input order among equals). */
  readonly start?: (item: T) => number;
}

/**
 * The items as a forest: each node under its parent; an item whose parent is not among the items (or is
 * itself) is a root. The one span-tree builder of the package (the local server's `buildSpanTree` and
 * `InMemorySink.tree()`).
 */
export function buildForest<T, N extends { children: N[] }>(items: Iterable<T>, shape: ForestShape<T, N>): N[] {
  const entries = new Map<string, { node: N; parentId: string | null | undefined; start: number }>();
  for (const item of items) {
    entries.set(shape.id(item), { node: shape.node(item), parentId: shape.parentId(item), start: shape.start ? shape.start(item) : 0 });
  }
  const roots: N[] = [];
  for (const { node, parentId } of entries.values()) {
    const parent = parentId ? entries.get(parentId)?.node : undefined;
    (parent && parent !== node ? parent.children : roots).push(node);
  }
  if (shape.start) {
    const starts = new Map<N, number>();
    for (const { node, start } of entries.values()) starts.set(node, start);
    const byStart = (a: N, b: N): number => starts.get(a)! - starts.get(b)! || 0;
    roots.sort(byStart);
    for (const { node } of entries.values()) if (node.children.length > 1) node.children.sort(byStart);
  }
  return roots;
}
