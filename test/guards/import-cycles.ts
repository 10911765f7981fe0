import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
// Every static `import ... from`, `export ... from` and side-effect `import '...'` of a relative module.
const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

interface Edge {
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative imports of every file under src/, keyed by path relative to src/. */
function importGraph(): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>();
  for (const file of sourceFiles(SRC)) {
    const edges: Edge[] = [];
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), match[3]!.replace(/\.js$/, '.ts'));
      edges.push({ to: relative(SRC, target), typeOnly: match[2] !== undefined });
    }
    graph.set(relative(SRC, file), edges);
  }
  return graph;
}

/** Every cycle found by a depth-first search, as the list of files around it. */
function findCycles(graph: Map<string, Edge[]>, withTypes: boolean): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'visiting');
    stack.push(file);
    for (const edge of graph.get(file) ?? []) {
      if (edge.typeOnly && !withTypes) continue;
      const seen = state.get(edge.to);
      if (seen === 'visiting') cycles.push([...stack.slice(stack.indexOf(edge.to)), edge.to]);
      else if (seen === undefined && graph.has(edge.to)) visit(edge.to);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

t.test('the import graph of src/ is read: every relative import resolves to a file', async (t) => {
  const graph = importGraph();
  t.ok(graph.size > 50, `${graph.size} files`);
  t.ok(graph.get('index.ts')!.some((edge) => edge.to === 'tracing/tracer.ts'), 'index.ts imports tracing/tracer.ts');
  t.ok(graph.get('tracing/tracer.ts')!.some((edge) => edge.to === 'sinks/span-sink.ts' && !edge.typeOnly), 'a value import is seen');
  const missing = [...graph].flatMap(([file, edges]) => edges.filter((edge) => !graph.has(edge.to)).map((edge) => `${file} -> ${edge.to}`));
  t.same(missing, [], 'no import points outside the graph');
});

t.test('src/ has no import cycle, type-only imports included', async (t) => {
  const cycles = findCycles(importGraph(), true);
  t.same(cycles.map((cycle) => cycle.join(' -> ')), [], 'layers import one way: make the lower module own what both need');
});

t.test('findCycles() finds a cycle, and tells value imports from type-only ones', async (t) => {
  const graph = new Map<string, Edge[]>([
    ['a.ts', [{ to: 'b.ts', typeOnly: false }]],
    ['b.ts', [{ to: 'c.ts', typeOnly: false }]],
    ['c.ts', [{ to: 'a.ts', typeOnly: true }]],
  ]);
  t.same(findCycles(graph, true), [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  t.same(findCycles(graph, false), []);
});
