import t from 'tap';
import { runLifecycleChild as run, SHUTDOWN_TIMEOUT_MS } from '../fixtures/lifecycle.js';
import { apiError, startRawServer } from '../fixtures/raw-server.js';

// A user's program that never calls shutdown(), in a child process with a small heap and a time
// limit: outside a flush nothing of the SDK may hold the event loop, so the program ends soon after
// its work (the beforeExit shutdown waits at most shutdownTimeoutMs), whatever the API does.

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
