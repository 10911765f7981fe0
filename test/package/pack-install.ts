// The package as a user gets it (issue 14 item 16): `npm pack` in a clean copy of the project (so
// `prepack` must build dist/), the tarball installed into a scratch project with `npm install`, then
// every entry point imported from ESM and required from CommonJS, a CommonJS TypeScript file
// type-checked with the settings the README gives, and the CLI bin run: `dev`, its `export` lines
// pasted alone into a shell, an agent that delivers to it, `view --list`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

// A build, a pack and an install: about 20 s of CPU; more under load.
t.setTimeout(180_000);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The README's tsconfig for CommonJS projects (its "CommonJS" section). */
const CJS_TSCONFIG = { compilerOptions: { module: 'node20', strict: true, skipLibCheck: true, noEmit: true } };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` in `cwd` as a user's shell would: without tap's hooks and coverage (see
 * test/fixtures/child-env.ts) and without the developer's PREFACTOR_* variables.
 */
function run(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  const child = spawnClean(command, args, cwd, env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function spawnClean(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('TAP') || key.startsWith('_TAPJS') || key.startsWith('PREFACTOR_')) continue;
    clean[key] = value;
  }
  return spawn('env', ['-u', 'NODE_OPTIONS', '-u', 'NODE_V8_COVERAGE', command, ...args], { cwd, env: { ...clean, ...env } });
}

/** Each entry point and the exports a user reaches for first (the README's). */
const ENTRIES: Record<string, string[]> = {
  'prefactor-trace': ['init', 'withSpan', 'withInstance', 'shutdown', 'Tracer', 'defineSpanType', 'InMemorySink', 'PrefactorError'],
  'prefactor-trace/api': ['PrefactorHttpClient', 'PrefactorApiError', 'PATHS', 'VERSION'],
  'prefactor-trace/server': ['startLocalServer', 'renderSpanTree', 'readJournal'],
  'prefactor-trace/openai': ['wrapOpenAI', 'openaiSpanTypes'],
  'prefactor-trace/anthropic': ['wrapAnthropic', 'anthropicSpanTypes'],
  'prefactor-trace/otel': ['PrefactorSpanProcessor', 'registerPrefactorOTel'],
};
const NOT_FUNCTIONS: Record<string, string> = { PATHS: 'object', VERSION: 'string', openaiSpanTypes: 'object', anthropicSpanTypes: 'object' };
const expected = Object.fromEntries(Object.entries(ENTRIES).map(([entry, names]) => [entry, Object.fromEntries(names.map((name) => [name, NOT_FUNCTIONS[name] ?? 'function']))]));

/** A script that loads every entry point with `load` and prints `{entry: {name: typeof}}` or the error. */
const probe = (load: string): string => `
const entries = ${JSON.stringify(ENTRIES)};
const out = {};
for (const [entry, names] of Object.entries(entries)) {
  try {
    const module = ${load};
    out[entry] = Object.fromEntries(names.map((name) => [name, typeof module[name]]));
  } catch (error) {
    out[entry] = { error: error.code, message: error.message.split('\\n')[0] };
  }
}
console.log(JSON.stringify(out));
`;

// The root entry with a resolve hook that refuses the integrations and their peers: it loads anyway.
const ROOT_ONLY = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (/\\\\/integrations\\\\/|\\\\/node_modules\\\\/(openai|@anthropic-ai|@opentelemetry)\\\\//.test(resolved.url)) throw new Error('root loaded ' + resolved.url);
  return resolved;
}\`));
const root = await import('prefactor-trace');
console.log(typeof root.withSpan);
`;

const work = await mkdtemp(join(tmpdir(), 'prefactor-pack-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const copy = join(work, 'project');
const scratch = join(work, 'scratch');
const bin = join(scratch, 'node_modules', '.bin', 'prefactor-trace');

type Manifest = { filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> };
let packed: Ran;
let packMs = 0;
let manifest: Manifest = { filename: '', size: 0, unpackedSize: 0, files: [] };
let files: string[] = [];
let installed: Ran;

// Set-up, once: pack a clean copy, install the tarball into the scratch project.
t.before(async () => {
  // What the build needs, and nothing built: dist/ must come from `prepack`.
  for (const name of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'src']) {
    if (existsSync(join(ROOT, name))) await cp(join(ROOT, name), join(copy, name), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const started = Date.now();
  packed = await run('npm', ['pack', '--json', '--pack-destination', work], copy);
  packMs = Date.now() - started;
  manifest = (JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Manifest[])[0]!;
  files = manifest.files.map((file) => file.path);
  await mkdir(scratch);
  await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
  // --prefer-offline: the dependencies come from the cache `npm ci` filled.
  installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, manifest.filename)], scratch);
  await writeFile(join(scratch, 'entries.mjs'), probe('await import(entry)'));
  await writeFile(join(scratch, 'entries.cjs'), probe('require(entry)'));
  await writeFile(join(scratch, 'root-only.mjs'), ROOT_ONLY);
});

const packageJson = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }>; bin: Record<string, string> };

t.test('npm pack builds dist/ (prepack) and ships nothing but dist/, the README, the LICENSE and package.json', async (t) => {
  t.equal(packed.code, 0, packed.stderr);
  t.comment(`npm pack (with the build): ${packMs} ms; tarball ${manifest.size} B, unpacked ${manifest.unpackedSize} B, ${files.length} files`);
  for (const [subpath, target] of Object.entries(packageJson.exports)) {
    const paths = typeof target === 'string' ? [target] : [target.types, target.default];
    for (const path of paths) t.ok(files.includes(path.replace(/^\.\//, '')), `exports["${subpath}"] -> ${path} is in the tarball`);
  }
  for (const bin of Object.values(packageJson.bin)) t.ok(files.includes(bin.replace(/^\.\//, '')), `bin ${bin} is in the tarball`);
  t.ok(files.includes('dist/server/viewer/assets/app.js'), 'the viewer assets are in the tarball');
  t.same(files.filter((path) => !path.startsWith('dist/') && !/^(README\.md|package\.json|LICENSE)$/.test(path)), [], 'nothing outside dist/');
  t.same(files.filter((path) => /(^|\/)(test|tests|fixtures|benchmarks|build|examples|\.tap)\//.test(path) || /\.test\.[cm]?[jt]s$/.test(path)), [], 'no tests, benchmarks or build output');
  t.ok(files.includes('LICENSE'), 'the LICENSE is in the tarball');
  t.same(files.filter((path) => path.endsWith('.map')), [], 'no source maps (they would point at src/, which is not shipped)');
  t.ok(manifest.size < 1024 * 1024, `the tarball stays under 1 MiB (${manifest.size} B)`);
});


t.test('the tarball installs with npm install', async (t) => {
  t.equal(installed.code, 0, installed.stderr);
  t.notOk(existsSync(join(scratch, 'node_modules', 'openai')), 'no optional peer came along');
  t.notOk(existsSync(join(scratch, 'node_modules', '@anthropic-ai')));
  t.notOk(existsSync(join(scratch, 'node_modules', '@opentelemetry')));
});

t.test('every entry point loads from ESM and from CommonJS (require(esm)); /otel names its missing peer', async (t) => {
  const otelMissing = { error: 'ERR_MODULE_NOT_FOUND', message: /Cannot find package '@opentelemetry\/api'/ };
  for (const file of ['entries.mjs', 'entries.cjs']) {
    const { code, stdout, stderr } = await run(process.execPath, [file], scratch);
    t.equal(code, 0, stderr);
    t.equal(stderr, '', `${file}: no warning (require(esm) is not experimental on this Node)`);
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    // The model-client wrappers take the user's client object: they load without the client's package.
    t.same({ ...seen, 'prefactor-trace/otel': undefined }, { ...expected, 'prefactor-trace/otel': undefined }, `${file}: every export`);
    t.match(seen['prefactor-trace/otel'], otelMissing, `${file}: /otel without @opentelemetry/api fails naming it`);
  }
  const root = await run(process.execPath, ['root-only.mjs'], scratch);
  t.same([root.code, root.stdout, root.stderr], [0, 'function\n', ''], 'the root entry loads no integration and no peer');
  // With the peer installed, /otel loads too.
  await symlink(join(ROOT, 'node_modules', '@opentelemetry'), join(scratch, 'node_modules', '@opentelemetry'), 'dir');
  t.teardown(() => rm(join(scratch, 'node_modules', '@opentelemetry'), { force: true }));
  for (const file of ['entries.mjs', 'entries.cjs']) {
    const { stdout } = await run(process.execPath, [file], scratch);
    t.same(JSON.parse(stdout), expected, `${file}: every export, with the peer`);
  }
});

t.test('a CommonJS TypeScript file type-checks with the README settings', async (t) => {
  await writeFile(join(scratch, 'tsconfig.json'), JSON.stringify({ ...CJS_TSCONFIG, files: ['check.ts'] }));
  // The scratch package has no "type": check.ts is CommonJS, its imports compile to require().
  await writeFile(
    join(scratch, 'check.ts'),
    `import { init, withSpan, type Span } from 'prefactor-trace';
import { PrefactorHttpClient } from 'prefactor-trace/api';
import { startLocalServer } from 'prefactor-trace/server';
import prefactor = require('prefactor-trace');
const tracer: prefactor.Tracer = init({ enabled: false });
const length: number = withSpan('check', {}, (span: Span) => span.id.length);
export const used = [tracer, length, PrefactorHttpClient, startLocalServer];
`,
  );
  // A CommonJS project that uses Node has @types/node (npm install would fetch it; the repo's is the same).
  await mkdir(join(scratch, 'node_modules', '@types'), { recursive: true });
  await symlink(join(ROOT, 'node_modules', '@types', 'node'), join(scratch, 'node_modules', '@types', 'node'), 'dir');
  const tsc = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], scratch);
  t.equal(tsc.code, 0, tsc.stdout);
  t.equal(tsc.stdout, '');
});

t.test('the CLI bin: --help, dev on a free port, its export lines alone, an agent delivering, view --list', async (t) => {
  const help = await run(bin, ['--help'], scratch);
  t.match(help, { code: 0, stdout: /Usage: prefactor-trace <command>/ });
  const dev = spawnClean(bin, ['dev', '--port', '0', '--memory'], scratch);
  let printed = '';
  dev.stdout.on('data', (chunk: Buffer) => (printed += chunk));
  const exited = once(dev, 'exit');
  t.teardown(() => void dev.kill('SIGKILL'));
  while (!printed.includes('Press Ctrl-C')) {
    const [event] = await Promise.race([once(dev.stdout, 'data').then(() => ['data']), exited.then(() => ['exit'])]);
    if (event === 'exit') return t.fail(`dev exited: ${printed}`);
  }
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(printed)![1]!;
  const ping = await fetch(`${url}/api/v1/ping`, { headers: { authorization: 'Bearer dev-token' } });
  t.equal(ping.status, 200, 'the server answers /ping');
  const exports = printed.split('\n').filter((line) => line.startsWith('export ')).join('\n');
  await writeFile(
    join(scratch, 'agent.mjs'),
    `import { init, withSpan, shutdown } from 'prefactor-trace';
init();
await withSpan('pack:agent', { step: 1 }, async () => withSpan('pack:tool', {}, () => 1));
console.log(await shutdown());
`,
  );
  // Only the printed lines configure the agent and the viewer.
  const agent = await run('sh', ['-c', `${exports}\nexec node agent.mjs`], scratch);
  t.same([agent.code, agent.stdout, agent.stderr], [0, 'true\n', ''], 'the agent delivered everything');
  const list = await run('sh', ['-c', `${exports}\nexec "${bin}" view --list --json`], scratch);
  t.equal(list.code, 0, list.stderr);
  t.match(JSON.parse(list.stdout), [{ status: 'complete' }], 'view --list lists the instance');
  const tree = await run('sh', ['-c', `${exports}\nexec "${bin}" view`], scratch);
  t.match(tree.stdout, /pack:agent[\s\S]*pack:tool/, 'view prints its span tree');
  dev.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0, 'dev stops on SIGTERM');
  t.match(printed, /Stopped\.\n$/);
});
