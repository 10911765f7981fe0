/**
 * The public surface of each entry point, against the checked-in list in test/fixtures/public-api.json:
 * a change to what users can import is then a visible diff. After an intended change, regenerate the list
 * with `UPDATE_PUBLIC_API=1 npx tap test/guards/public-api.ts` and review the diff.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const LIST = resolve(ROOT, 'test/fixtures/public-api.json');
const ENTRIES: Record<string, string> = {
  'prefactor-trace': 'src/index.ts',
  'prefactor-trace/api': 'src/api/index.ts',
  'prefactor-trace/server': 'src/server/index.ts',
};

/** `name: value`, `name: type` or `name: value+type` for every export of `file`, sorted. */
function exportsOf(program: ts.Program, file: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(resolve(ROOT, file))!;
  const module = checker.getSymbolAtLocation(source)!;
  return checker
    .getExportsOfModule(module)
    .map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      // `export type { Span }` of a class exports only its type.
      const typeOnly = symbol.declarations?.some((node) => ts.isExportSpecifier(node) && (node.isTypeOnly || node.parent.parent.isTypeOnly)) ?? false;
      const value = !typeOnly && (target.flags & ts.SymbolFlags.Value) !== 0;
      const type = typeOnly || ((target.flags & ts.SymbolFlags.Type) !== 0 && !(target.flags & ts.SymbolFlags.Class));
      return `${symbol.name}: ${value && type ? 'value+type' : value ? 'value' : 'type'}`;
    })
    .sort();
}

t.test('each entry point exports exactly the checked-in list', async (t) => {
  const program = ts.createProgram(Object.values(ENTRIES).map((file) => resolve(ROOT, file)), {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const actual = Object.fromEntries(Object.entries(ENTRIES).map(([entry, file]) => [entry, exportsOf(program, file)]));
  if (process.env.UPDATE_PUBLIC_API) writeFileSync(LIST, `${JSON.stringify(actual, null, 2)}\n`);
  const expected = JSON.parse(readFileSync(LIST, 'utf8')) as Record<string, string[]>;
  for (const entry of Object.keys(ENTRIES)) t.same(actual[entry], expected[entry], entry);
});

t.test('the root entry exports no zod schema value', async (t) => {
  const root = await import('../../src/index.js');
  const schemas = Object.entries(root).filter(([, value]) => typeof value === 'object' && value !== null && 'safeParse' in value);
  t.same(schemas.map(([name]) => name), []);
});

t.test('every entry point and its types are in package.json exports', async (t) => {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types?: string; default?: string }> };
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const subpath = entry === 'prefactor-trace' ? '.' : `./${entry.slice('prefactor-trace/'.length)}`;
    const built = `./dist/${file.slice('src/'.length).replace(/\.ts$/, '')}`;
    t.same(pkg.exports[subpath], { types: `${built}.d.ts`, default: `${built}.js` }, subpath);
  }
});
