import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';
import { withServer } from '../fixtures/server.js';

const CHILD = 'test/fixtures/delivery-child.ts';

/**
 * Runs the child against `url`. `ms`: from its first output (the instance id, printed as its work
 * begins) to its exit, so tsx's start-up, slow on a loaded machine, is not counted.
 */
async function runChild(url: string, env: Record<string, string> = {}): Promise<{ code: number | null; ms: number; stdout: string }> {
  const child = spawnScript(CHILD, [url], env);
  let workBegan = Number.NaN;
  child.stdout.once('data', () => (workBegan = Date.now()));
  const { code, stdout, stderr } = await outputOf(child);
  process.stderr.write(stderr);
  return { code, ms: Date.now() - workBegan, stdout };
}

// shutdownTimeoutMs is 500: a request held open would keep the process for requestTimeoutMs (60 s).
// 5 s leaves the exit itself room on a loaded machine and still fails that by far.
const EXIT_BOUND_MS = 5000;

t.test('a process that never calls shutdown() exits by itself, and its spans arrive', async (t) => {
  const server = await withServer(t);
  const { code, stdout } = await runChild(server.url);
  t.equal(code, 0);
  const instanceId = stdout.trim();
  t.equal(server.instance(instanceId)?.status, 'complete');
  const spans = server.spans(instanceId);
  t.equal(spans.length, 4);
  t.ok(spans.every((span) => span.status === 'complete'));
  const plan = spans.find((span) => span.schema_name === 'agent:plan')!;
  t.same(
    spans.filter((span) => span.schema_name === 'agent:tool').map((span) => span.parent_span_id),
    [plan.id, plan.id, plan.id],
  );
});

t.test('a process whose API stalls exits within shutdownTimeoutMs', async (t) => {
  // Connections are accepted and never answered: the worst case for an exiting process.
  const server = await withServer(t, { faults: { stallRate: 1 } });
  const { code, ms } = await runChild(server.url, { SHUTDOWN_TIMEOUT_MS: '500' });
  t.equal(code, 0);
  t.ok(ms < EXIT_BOUND_MS, `exited ${ms} ms after its work began (a request would hang for 60 s)`);
  t.ok(server.faultCounts().stall > 0);
});

t.test('a process whose API is down exits within shutdownTimeoutMs', async (t) => {
  const { code, ms } = await runChild('http://127.0.0.1:9', { SHUTDOWN_TIMEOUT_MS: '500' });
  t.equal(code, 0);
  t.ok(ms < EXIT_BOUND_MS, `exited ${ms} ms after its work began (a request would hang for 60 s)`);
});
