import { once } from 'node:events';
import t from 'tap';
import { PrefactorConfigError } from '../../src/util/option-checks.js';
import { FaultInjector, mulberry32, resolveFaults } from '../../src/server/faults.js';
import type { RequestInfo } from '../../src/server/index.js';
import { clientFor, withServer } from '../fixtures/server.js';

const REGISTER = { agent_id: 'agent-1', agent_version: { name: 'v1' }, agent_schema_version: {} };
const ZERO = { drop: 0, error: 0, rateLimit: 0, stall: 0, malformed: 0, outage: 0, latency: 0 };

function record(server: { on(event: 'request', listener: (info: RequestInfo) => void): unknown }): RequestInfo[] {
  const infos: RequestInfo[] = [];
  server.on('request', (info) => infos.push(info));
  return infos;
}

t.test('mulberry32 is deterministic from its seed and uniform in [0, 1)', async (t) => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const values = Array.from({ length: 1000 }, () => a());
  t.same(Array.from({ length: 1000 }, () => b()), values);
  t.ok(values.every((v) => v >= 0 && v < 1));
  t.not(mulberry32(43)(), values[0]);
});

t.test('FaultInjector draws the same faults for the same seed', async (t) => {
  const draw = (seed: number) => {
    const injector = new FaultInjector({ errorRate: 0.3, dropRate: 0.2 }, seed);
    return Array.from({ length: 50 }, () => injector.decide().kind);
  };
  t.same(draw(7), draw(7));
  t.not(draw(7).join(), draw(8).join());
  const kinds = new Set(draw(7));
  t.ok(kinds.has('error') && kinds.has('drop') && kinds.has(null));
});

t.test('resolveFaults rejects bad options naming the key', async (t) => {
  t.throws(() => resolveFaults({ errorRate: 2 }), new PrefactorConfigError('Expected `faults.errorRate` to be a number from 0 to 1, got `2` (number)'));
  t.throws(() => resolveFaults({ errorRate: 0.6, dropRate: 0.6 }), { message: /sum of the fault rates/ });
  t.throws(() => resolveFaults({ errorStatusCodes: [200] }), { message: /errorStatusCodes/ });
  t.throws(() => resolveFaults({ errorStatusCodes: [] }), { message: /errorStatusCodes/ });
  t.throws(() => resolveFaults({ retryAfterSeconds: -1 }), { message: /retryAfterSeconds/ });
  t.throws(() => resolveFaults({ latencyMs: Number.NaN }), { message: /latencyMs/ });
  t.throws(() => resolveFaults({ maxFaults: 1.5 }), { message: /maxFaults/ });
  t.throws(() => resolveFaults({ outageMs: -5 }), { message: /outageMs/ });
  t.throws(() => resolveFaults({ outageUntil: Number.NaN }), { message: /outageUntil/ });
  t.throws(() => resolveFaults({ errorRat: 1 } as never), { message: /Unknown option `errorRat`/ });
  t.throws(() => resolveFaults([] as never), PrefactorConfigError);
  t.match(resolveFaults({ outageMs: 100, outageUntil: new Date(50) }, 1000), { outageUntil: 1100 });
  t.match(resolveFaults({ outageUntil: 5000 }, 1000), { outageUntil: 5000, maxFaults: Number.POSITIVE_INFINITY, retryAfterSeconds: 1 });
});

t.test('errorRate answers 5xx without applying; counted, and the client retries through', async (t) => {
  const server = await withServer(t, { faults: { errorRate: 1, errorStatusCodes: [503], maxFaults: 2 } });
  const infos = record(server);
  const client = clientFor(t, server, { maxRetries: 3 });
  const instance = await client.agentInstances.register(REGISTER);
  t.equal(server.instances().length, 1);
  t.same(server.faultCounts(), { ...ZERO, error: 2 });
  t.same(infos.map((i) => [i.status, i.fault]), [[503, 'error'], [503, 'error'], [200, null]]);
  t.equal(infos[2]!.idempotencyKey, infos[0]!.idempotencyKey, 'one key for every attempt');
  t.ok(instance.id);
});

t.test('errorRate picks among errorStatusCodes', async (t) => {
  const server = await withServer(t, { faults: { errorRate: 1 } });
  const infos = record(server);
  for (let i = 0; i < 30; i++) await fetch(`${server.url}/api/v1/ping`, { headers: { authorization: `Bearer ${server.token}` } });
  t.same(new Set(infos.map((i) => i.status)), new Set([500, 502, 503]));
  t.equal(server.faultCounts().error, 30);
});

t.test('rateLimitRate answers 429 with Retry-After in seconds', async (t) => {
  const server = await withServer(t, { faults: { rateLimitRate: 1, retryAfterSeconds: 0, maxFaults: 1 } });
  const response = await fetch(`${server.url}/api/v1/ping`, { headers: { authorization: `Bearer ${server.token}` } });
  t.equal(response.status, 429);
  t.equal(response.headers.get('retry-after'), '0');
  t.match(await response.json(), { status: 'error', code: 'rate_limited' });
  server.setFaults({ rateLimitRate: 1, retryAfterSeconds: 0, maxFaults: 1 });
  const client = clientFor(t, server, { maxRetries: 2 });
  await client.agentInstances.register(REGISTER);
  t.equal(server.instances().length, 1);
  t.equal(server.faultCounts().rateLimit, 2);
});

t.test('dropRate destroys the connection before applying anything', async (t) => {
  const server = await withServer(t, { faults: { dropRate: 1, maxFaults: 1 } });
  const infos = record(server);
  const client = clientFor(t, server, { maxRetries: 2 });
  await client.agentInstances.register(REGISTER);
  t.equal(server.instances().length, 1, 'applied once: by the retry');
  t.same(infos.map((i) => [i.status, i.fault]), [[null, 'drop'], [200, null]]);
  t.equal(server.faultCounts().drop, 1);
});

t.test('stallRate applies the change but never answers; the retry replays it', async (t) => {
  const server = await withServer(t, { faults: { stallRate: 1, maxFaults: 1 } });
  const infos = record(server);
  const client = clientFor(t, server, { maxRetries: 1, requestTimeoutMs: 150 });
  const registered = await client.agentInstances.register(REGISTER);
  t.same(server.instances().map((i) => i.id), [registered.id], 'one instance: the stalled request was applied and replayed');
  t.same(infos.map((i) => [i.status, i.fault]), [[null, 'stall'], [200, null]]);
  t.equal(server.faultCounts().stall, 1);
});

t.test('malformedRate applies the change and answers a truncated JSON body', async (t) => {
  const server = await withServer(t, { faults: { malformedRate: 1, maxFaults: 1 } });
  const response = await fetch(`${server.url}/api/v1/agent_instance/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}` },
    body: JSON.stringify(REGISTER),
  });
  t.equal(response.status, 200);
  const text = await response.text();
  t.throws(() => JSON.parse(text));
  t.match(text, /^\{"status":"success"/);
  t.equal(server.instances().length, 1);
  t.equal(server.faultCounts().malformed, 1);
});

t.test('latencyMs delays every request and counts it', async (t) => {
  const server = await withServer(t, { faults: { latencyMs: 40 } });
  const started = performance.now();
  const response = await fetch(`${server.url}/api/v1/ping`, { headers: { authorization: `Bearer ${server.token}` } });
  t.equal(response.status, 200);
  t.ok(performance.now() - started >= 35);
  t.equal(server.faultCounts().latency, 1);
});

t.test('an outage refuses new connections and destroys requests on open ones, until it ends', async (t) => {
  const server = await withServer(t);
  const infos = record(server);
  const client = clientFor(t, server);
  t.equal(await client.validateToken(), true, 'opens a keep-alive connection');
  server.setFaults({ outageMs: 60_000 });
  await t.rejects(client.validateToken(), { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ECONNRESET' }, 'request on the open connection destroyed');
  await t.rejects(fetch(`${server.url}/api/v1/ping`), TypeError, 'new connection destroyed');
  const counts = server.faultCounts();
  t.ok(counts.outage >= 2);
  t.match(infos.at(-1), { fault: 'outage', status: null });
  server.setFaults({ outageUntil: new Date(Date.now() - 1) });
  t.equal(await client.validateToken(), true, 'served again once the outage ends');
});

t.test('.close() ends stalled sockets so nothing hangs', async (t) => {
  const server = await withServer(t, { faults: { stallRate: 1 } });
  const stalled = once(server, 'request');
  const pending = fetch(`${server.url}/api/v1/ping`, { headers: { authorization: `Bearer ${server.token}` } });
  const [info] = (await stalled) as [RequestInfo];
  t.equal(info.fault, 'stall');
  await server.close();
  await t.rejects(pending, TypeError);
  await server.close();
  t.pass('close() is idempotent');
});

t.test('.close() ends pending latency delays', async (t) => {
  const server = await withServer(t, { faults: { latencyMs: 60_000 } });
  const infos = record(server);
  const pending = fetch(`${server.url}/api/v1/ping`, { headers: { authorization: `Bearer ${server.token}` } }).catch((error: unknown) => error);
  while (server.faultCounts().latency === 0) await new Promise((resolve) => setImmediate(resolve));
  await server.close();
  t.type(await pending, TypeError);
  t.same(infos.map((i) => [i.status, i.fault]), [[null, null]]);
});
