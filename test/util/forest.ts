import t from 'tap';
import { buildForest } from '../../src/util/forest.js';

interface Item {
  id: string;
  parent?: string;
  start?: number;
}
interface Node {
  id: string;
  children: Node[];
}
const shape = { id: (item: Item) => item.id, parentId: (item: Item) => item.parent, node: (item: Item): Node => ({ id: item.id, children: [] }) };
const ids = (nodes: Node[]): unknown => nodes.map((node) => (node.children.length ? [node.id, ids(node.children)] : node.id));

t.test('buildForest() nests by parent id, keeps input order, and makes roots of orphans and self-parents', async (t) => {
  const items: Item[] = [{ id: 'a' }, { id: 'b', parent: 'a' }, { id: 'c', parent: 'missing' }, { id: 'd', parent: 'd' }, { id: 'e', parent: 'a' }];
  t.same(ids(buildForest(items, shape)), [['a', ['b', 'e']], 'c', 'd']);
});

t.test('buildForest() sorts siblings by start when asked, stable among equals', async (t) => {
  const items: Item[] = [{ id: 'r2', start: 5 }, { id: 'r1', start: 1 }, { id: 'x', parent: 'r1', start: 3 }, { id: 'y', parent: 'r1', start: 2 }, { id: 'z', parent: 'r1', start: 2 }];
  t.same(ids(buildForest(items, { ...shape, start: (item) => item.start ?? 0 })), [['r1', ['y', 'z', 'x']], 'r2']);
});
