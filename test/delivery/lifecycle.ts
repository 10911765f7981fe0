import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';
import { apiError, startRawServer } from '../fixtures/raw-server.js';
import { withServer } from '../fixtures/server.js';

// A user's program that never calls shutdown(), in a child process with a small heap and a time
// limit: outside a flush nothing of the SDK may hold the event loop, so the program ends soon after
// its work (the beforeExit shutdown waits at most shutdownTimeoutMs), whatever the API does.

const CHILD = 'test/fixtures/lifecycle-child.ts';
const SHUTDOWN_TIMEOUT_MS = 1500;
const LIMIT_MS = 25_000;

async function run(mode: string, url: string): Promise<{ code: number | null; lines: string[]; afterWorkMs: number }> {
  const child = spawnScript(CHILD, [mode, url], { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) }, ['--max-old-space-size=64']);
  const limit = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
  const { code, stdout, stderr } = await outputOf(child);
  const exitedAt = Date.now();
  clearTimeout(limit);
  if (stderr !== '') process.stderr.write(stderr);
  const lines = stdout.trim().split('\n');
  const done = lines.find((line) => line.startsWith('done '));
  return { code, lines, afterWorkMs: done === undefined ? Number.NaN : exitedAt - Number(done.slice(5)) };
}

// tsx's start-up aside; on a loaded machine the exit itself takes a while. Before: 8 s to over 3 minutes.
const bound = SHUTDOWN_TIMEOUT_MS + 2500;

t.test('without shutdown(), an API refusing connections holds the process at most shutdownTimeoutMs', async (t) => {
  const { code, afterWorkMs } = await run('idle', 'http://127.0.0.1:9');
  t.equal(code, 0);
  t.ok(afterWorkMs < bound, `exited ${afterWorkMs} ms after its work`);
});

t.test("without shutdown(), an API answering 429 Retry-After: 10 holds the process at most shutdownTimeoutMs", async (t) => {
  const server = await startRawServer(apiError(429, 'rate_limited', 'slow down', {}, { 'retry-after': '10' }));
  t.teardown(() => server.close());
  const { code, afterWorkMs } = await run('idle', server.url);
  t.equal(code, 0);
  t.ok(server.requests.length > 0);
  t.ok(afterWorkMs < bound, `exited ${afterWorkMs} ms after its work`);
});

t.test('without shutdown(), an API that never answers holds the process at most shutdownTimeoutMs', async (t) => {
  const server = await startRawServer('hang');
  t.teardown(() => server.close());
  const { code, afterWorkMs } = await run('idle', server.url);
  t.equal(code, 0);
  t.ok(server.requests.length > 0);
  t.ok(afterWorkMs < bound, `exited ${afterWorkMs} ms after its work`);
});

t.test('process.exit() with operations held says, once, how many spans were not delivered and the fix', async (t) => {
  const server = await startRawServer('hang');
  t.teardown(() => server.close());
  const { code, lines } = await run('exit', server.url);
  t.equal(code, 0);
  const errors = lines.filter((line) => line.startsWith('error '));
  t.equal(errors.length, 1, lines.join('\n'));
  t.match(errors[0], /1000 span\(s\) .*not delivered.*await tracer\.shutdown\(\)/);
});

t.test('process.exit() after everything was delivered says nothing', async (t) => {
  const server = await withServer(t);
  const { code, lines } = await run('exit-after-flush', server.url);
  t.equal(code, 0);
  t.same(lines.filter((line) => !line.startsWith('done ')), []);
});
