import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { BULK_SLICE_MS, MAX_BULK_ITEMS, MAX_REPORTED_ISSUES } from '../../src/server/limits.js';
import { clientFor, withServer } from '../fixtures/server.js';

const HEADERS = { authorization: 'Bearer dev-token', 'content-type': 'application/json' };

/**
 * A clock of the main thread's CPU time in ms (Linux: /proc, 10 ms ticks), else of the process's
 * (which also counts GC helper threads, so it errs towards failing).
 */
function mainThreadCpuMs(): () => number {
  const file = `/proc/self/task/${process.pid}/stat`;
  if (!existsSync(file)) {
    /* c8 ignore next 4 -- not on Linux */
    return () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
  }
  return () => {
    // Fields after the command name (in parentheses): utime and stime are the 12th and 13th.
    const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
}

async function postBulk(url: string, body: string, extra: Record<string, string> = {}) {
  const response = await fetch(`${url}/api/v1/bulk`, { method: 'POST', headers: { ...HEADERS, ...extra }, body });
  const text = await response.text();
  return { status: response.status, bytes: text.length, body: JSON.parse(text) as Record<string, unknown> };
}

t.test('a million invalid bulk items (2.9 MB) get a small 413 too_many_items, quickly', async (t) => {
  const server = await withServer(t);
  const body = `{"items":[${Array(1_000_000).fill('{}').join(',')}]}`;
  t.ok(body.length > 2_900_000);
  // In CPU time of the main thread (server and client), which a loaded machine does not inflate.
  const cpuMs = mainThreadCpuMs();
  const started = cpuMs();
  const { status, bytes, body: answer } = await postBulk(server.url, body);
  const elapsedMs = cpuMs() - started;
  t.equal(status, 413);
  t.match(answer, { code: 'too_many_items', message: new RegExp(`1000000 items, over the limit of ${MAX_BULK_ITEMS}`) });
  t.ok(bytes < 500, `answer of ${bytes} bytes`);
  t.ok(elapsedMs < 5000, `answered after ${Math.round(elapsedMs)} ms of CPU (it was 12 s before the item cap)`);
  t.same(server.instances(), []);
});

t.test('a maximal bulk request of invalid items reports the first 100 issues and their count', async (t) => {
  const server = await withServer(t);
  const items = Array.from({ length: MAX_BULK_ITEMS }, () => ({ _type: 'agent_spans/create', idempotency_key: 'short' }));
  const { status, bytes, body } = await postBulk(server.url, JSON.stringify({ items }));
  t.equal(status, 422);
  t.equal(body.code, 'validation_error');
  const errors = body.errors as Record<string, string>;
  t.equal(Object.keys(errors).length, MAX_REPORTED_ISSUES);
  t.match(errors, { 'items.0.idempotency_key': /8/, 'items.99.idempotency_key': String });
  t.equal(body.error_count, MAX_BULK_ITEMS);
  t.match(body.message, new RegExp(`^The request is invalid \\(items\\.0\\.idempotency_key, .*, … ${MAX_BULK_ITEMS} in all\\)`));
  t.ok(bytes < 20_000, `answer of ${bytes} bytes`);
  const duplicates = Array.from({ length: MAX_BULK_ITEMS }, () => ({ _type: 'agent_spans/create', idempotency_key: 'same-key-0' }));
  const dup = await postBulk(server.url, JSON.stringify({ items: duplicates }));
  t.equal(Object.keys(dup.body.errors as object).length, MAX_REPORTED_ISSUES);
  t.equal(dup.body.error_count, MAX_BULK_ITEMS - 1);
});

t.test('single endpoints cap their issues too', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const error = (await client
    .request('POST', '/api/v1/agent_instance/register', { json: { agent_id: 1, agent_version: 2, agent_schema_version: 3, id: 4, environment_id: 5, purpose: 6 } })
    .catch((caught: unknown) => caught)) as { statusCode: number; message: string };
  t.equal(error.statusCode, 422);
  t.match(error.message, /… 6 in all/);
});

t.test('/ping answers within 100 ms while the server applies a maximal bulk request', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register({ agent_id: 'agent-1', agent_version: {}, agent_schema_version: {} });
  const items = Array.from({ length: MAX_BULK_ITEMS }, (_, index) => ({
    _type: 'agent_spans/create',
    idempotency_key: `span-key-${String(index).padStart(6, '0')}`,
    details: { agent_instance_id: id, schema_name: 'tool', status: 'complete', payload: { index, text: 'some text of a tool call' } },
  }));
  const body = JSON.stringify({ items });
  let done = false;
  // Pings answered between the bulk request's first and last span: proof that it yields.
  let created = 0;
  let pingsBetween = 0;
  server.on('span', () => created++);
  server.on('request', (info) => {
    if (info.path === '/api/v1/ping' && created > 0 && created < MAX_BULK_ITEMS) pingsBetween++;
  });
  const bulk = postBulk(server.url, body, { prefer: 'return=minimal' }).finally(() => (done = true));
  // Latency in CPU time of the main thread (where server and client run): what the server made a
  // ping wait for. On an idle machine it is the wall-clock latency; on a loaded one (the suite runs
  // beside other work) wall time also counts the time the OS gave to other processes.
  const cpuMs = mainThreadCpuMs();
  const latencies: number[] = [];
  const wall: number[] = [];
  // The first ping goes out with the bulk request; each next one as soon as the previous is answered.
  while (!done) {
    const cpuStart = cpuMs();
    const started = performance.now();
    const response = await fetch(`${server.url}/api/v1/ping`, { headers: HEADERS });
    await response.arrayBuffer();
    if (!done) {
      latencies.push(cpuMs() - cpuStart);
      wall.push(performance.now() - started);
    }
  }
  const result = await bulk;
  t.equal(result.status, 200);
  t.equal(Object.keys(result.body.outputs as object).length, MAX_BULK_ITEMS);
  t.equal(server.spans(id).length, MAX_BULK_ITEMS);
  t.ok(pingsBetween >= 2, `${pingsBetween} pings answered while the bulk request was applied (slices of ${BULK_SLICE_MS} ms)`);
  const slowest = Math.max(...latencies);
  t.ok(slowest < 100, `slowest ping ${Math.round(slowest)} ms CPU (${Math.round(Math.max(...wall))} ms wall) of ${latencies.length}`);
});
