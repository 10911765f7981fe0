import { AsyncLocalStorage } from 'node:async_hooks';
import t from 'tap';
import { createDeliverySink, DELIVERY_OPTION_KEYS } from '../../src/delivery/index.js';
import { reportAllUndelivered } from '../../src/delivery/exit-report.js';
import { PrefactorHttpClient } from '../../src/api/client.js';
import { PrefactorConfigError } from '../../src/util/option-checks.js';
import type { SpanStartEvent } from '../../src/sinks/span-sink.js';
import { accounted, openSpan, sinkFor, spanForest, startInstance, withProxy } from '../fixtures/delivery.js';
import type { ExpectedSpan } from '../fixtures/delivery.js';
import { spanDifferences } from '../fixtures/delivery-check.js';
import { withServer } from '../fixtures/server.js';

t.test('createDeliverySink() rejects unknown keys and bad values, naming them', async (t) => {
  const client = new PrefactorHttpClient({ apiUrl: 'http://127.0.0.1:9', apiToken: 'dev-token' });
  t.teardown(() => client.close());
  t.throws(() => createDeliverySink({ client, logger: console, maxBatchSiz: 5 } as never), {
    name: 'PrefactorConfigError',
    message: /Unknown option `maxBatchSiz`/,
  });
  t.throws(() => createDeliverySink({ client, logger: console, maxQueueSize: 0 }), new PrefactorConfigError('Expected `maxQueueSize` to be a positive integer, got `0` (number)'));
  t.throws(() => createDeliverySink(null as never), PrefactorConfigError);
  t.ok(DELIVERY_OPTION_KEYS.includes('batching'));
});

t.test('spans reach the server: nested, coalesced, with payloads, results and statuses', async (t) => {
  const server = await withServer(t);
  const { sink } = sinkFor(t, server.url);
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  spanForest(sink, instanceId, 300, expected);
  sink.finishInstance(instanceId, 'complete', new Date().toISOString());
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  t.equal(server.instance(instanceId)?.status, 'complete');
  const stats = sink.stats();
  t.same(accounted(stats).left, accounted(stats).right);
  t.equal(stats.operationsSent, stats.operationsEnqueued);
  t.ok(stats.operationsCoalesced > 0, 'finishes were folded into creates');
  t.equal(stats.queued + stats.inFlight + stats.bytesHeld, 0);
});

t.test('a create reaches the server within flushIntervalMs, without flush()', async (t) => {
  const server = await withServer(t);
  const { sink } = sinkFor(t, server.url, { flushIntervalMs: 50 });
  const instanceId = startInstance(sink);
  const started = Date.now();
  const created = new Promise((resolve) => server.once('span', resolve));
  openSpan(sink, instanceId, undefined, { a: 1 });
  await created;
  t.ok(Date.now() - started < 1000, `arrived after ${Date.now() - started} ms`);
});

t.test('.flush() resolves true at once when nothing is held, and with what was enqueued before it', async (t) => {
  const server = await withServer(t);
  const { sink } = sinkFor(t, server.url, { flushIntervalMs: 60_000 });
  t.equal(await sink.flush(10), true);
  const instanceId = startInstance(sink);
  const span = openSpan(sink, instanceId, undefined, { a: 1 });
  const first = sink.flush(5000);
  span.end();
  t.equal(await first, true);
  t.equal(server.spans(instanceId).length, 1);
  t.equal(await sink.flush(5000), true);
  t.equal(server.spans(instanceId)[0]?.status, 'complete');
});

t.test('.flush() resolves false when the server stalls, and never rejects', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => 'hang');
  const { sink } = sinkFor(t, proxy.url, {}, { requestTimeoutMs: 60_000 });
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { a: 1 }).end();
  t.equal(await sink.flush(100), false);
  t.equal(sink.stats().inFlight, 4, "register, start, and a create carrying its finish");
});

t.test('.shutdown() aborts at its deadline, counts what is left as shutdown_timeout, and is idempotent', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => 'hang');
  const { sink } = sinkFor(t, proxy.url, { maxBatchSize: 2 }, { requestTimeoutMs: 60_000 });
  const instanceId = startInstance(sink);
  for (let index = 0; index < 5; index++) openSpan(sink, instanceId, undefined, { index }).end();
  const first = sink.shutdown(100);
  t.equal(sink.shutdown(5), first, 'the same promise');
  t.equal(await first, false);
  const stats = sink.stats();
  t.equal(stats.dropped.shutdown_timeout, 12);
  t.equal(stats.queued + stats.inFlight + stats.bytesHeld, 0);
  t.same(accounted(stats).left, accounted(stats).right);
  openSpan(sink, instanceId, undefined, { late: true }).end();
  t.equal(sink.stats().dropped.after_shutdown, 2);
  t.equal(await sink.flush(10), true, 'nothing is held after shutdown');
});

t.test('.shutdown() delivers what is queued before stopping', async (t) => {
  const server = await withServer(t);
  const { sink, logger } = sinkFor(t, server.url, { flushIntervalMs: 60_000 });
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { a: 1 }).end();
  // Rejected during shutdown (no span `ghost`): dropped and counted, its id not remembered.
  openSpan(sink, instanceId, 'ghost', { orphan: true });
  sink.finishInstance(instanceId, 'complete', new Date().toISOString());
  t.equal(await sink.shutdown(5000), true);
  t.equal(sink.stats().dropped.rejected_by_server, 1);
  t.equal(server.spans(instanceId).length, 1);
  t.equal(server.instance(instanceId)?.status, 'complete');
  sink.registerInstance({ id: 'late', agentId: 'a', agentVersion: {}, agentSchemaVersion: {} });
  sink.startInstance('late', new Date().toISOString());
  sink.finishInstance('late', 'complete', new Date().toISOString());
  t.equal(sink.stats().dropped.after_shutdown, 3);
  t.same(logger.of('error'), []);
});

t.test('the hot path never throws, and counts what it cannot serialise', async (t) => {
  const server = await withServer(t);
  const { sink, logger } = sinkFor(t, server.url);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  sink.registerInstance({ id: 'bad', agentId: 'a', agentVersion: circular, agentSchemaVersion: {} });
  sink.startInstance('bad', new Date().toISOString());
  const instanceId = startInstance(sink);
  sink.spanStarted({ id: 's1', instanceId, parentId: undefined, schemaName: 'x', payloadJson: 5, startedAt: 'x' } as unknown as SpanStartEvent);
  sink.spanEnded({ id: 's2', instanceId, status: 'complete', resultPayloadJson: 5 as unknown as string, finishedAt: 'x' });
  sink.spanStarted(null as unknown as SpanStartEvent);
  sink.spanEnded(null as never);
  sink.registerInstance(null as never);
  sink.startInstance(undefined as never, 'x');
  sink.finishInstance(undefined as never, 'complete', 'x');
  t.equal(await sink.flush(5000), true);
  const stats = sink.stats();
  t.equal(stats.dropped.serialization, 3);
  t.equal(stats.dropped.dependency_dropped, 1, 'the start of the unregistered instance');
  t.ok(logger.of('error').some((line) => line.includes('Could not serialise')));
  t.ok(logger.of('error').some((line) => line.includes('Unexpected failure in the delivery engine (spanStarted)')));
});

t.test('the worker runs outside the async context of the call that woke it', async (t) => {
  const server = await withServer(t);
  const storage = new AsyncLocalStorage<string>();
  const { sink } = sinkFor(t, server.url, { flushIntervalMs: 20 });
  const seen: Array<string | undefined> = [];
  const terminated = new Promise<void>((resolve) =>
    sink.setTerminateHandler((instanceId, reason) => {
      seen.push(storage.getStore(), instanceId, reason);
      resolve();
    }),
  );
  let instanceId = '';
  storage.run('user', () => {
    instanceId = startInstance(sink);
    server.terminate(instanceId, 'budget exceeded');
    openSpan(sink, instanceId, undefined, { a: 1 }).end();
    openSpan(sink, instanceId, undefined, { b: 2 });
  });
  await terminated;
  t.same(seen, [undefined, instanceId, 'budget exceeded']);
});

t.test('.shutdown() resolves within its timeout with 100,000 operations held during an outage', async (t) => {
  // 100,000 operations of 7 bytes cost 52 MB with the per-operation overhead: room for them all.
  const { sink } = sinkFor(t, 'http://127.0.0.1:9', { maxQueueSize: 100_000, maxQueueBytes: 64 * 1024 * 1024, redeliveryDelayMs: 20, maxRedeliveryDelayMs: 20 });
  const instanceId = startInstance(sink);
  const startedAt = new Date().toISOString();
  for (let n = 0; n < 99_998; n++) {
    sink.spanStarted({ id: `span-${n}`, instanceId, parentId: undefined, schemaName: 'agent:test', payloadJson: '{"n":1}', startedAt });
  }
  t.equal(sink.stats().queued + sink.stats().inFlight, 100_000);
  const timeoutMs = 300;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  t.equal(await sink.shutdown(timeoutMs), false);
  const cpu = process.cpuUsage(cpuBefore);
  const tookMs = performance.now() - started;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  // Dropping 100,000 operations at the deadline once took ~1 s of work more. Measured as CPU time,
  // which a loaded machine does not stretch the way it stretches wall time (85-150 ms here, at load 8-13).
  t.ok(cpuMs < 500, `shutdown(${timeoutMs}) used ${cpuMs.toFixed(1)} ms of CPU`);
  // Resolves at its deadline, not after the engine's retry budget (60 s): room for a loaded machine.
  t.ok(tookMs < timeoutMs + 1700, `shutdown(${timeoutMs}) resolved after ${tookMs.toFixed(1)} ms`);
  const stats = sink.stats();
  t.equal(stats.dropped.shutdown_timeout, 100_000);
  t.equal(stats.dropped.rejected_by_server, 0);
  t.equal(stats.queued + stats.inFlight + stats.bytesHeld, 0);
  t.same(accounted(stats).left, accounted(stats).right);
});

t.test('the engine asks for minimal answers (Prefer: return=minimal), and works the same with full ones', async (t) => {
  const server = await withServer(t);
  // The proxy forwards as is: the local server honours the preference.
  const proxy = await withProxy(t, server.url, () => undefined);
  const { sink } = sinkFor(t, proxy.url);
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { minimal: true }).end();
  t.equal(await sink.flush(2000), true);
  t.ok(proxy.requests.length > 0);
  for (const request of proxy.requests) t.equal(request.headers.prefer, 'return=minimal');
  t.same(server.spans(instanceId).map((span) => [span.payload, span.status]), [[{ minimal: true }, 'complete']]);

  // An API that ignores the preference answers with full details: delivery is the same.
  const full = await withServer(t);
  const ignoring = await withProxy(t, full.url, ({ body }) => ({ forward: body, stripHeaders: ['prefer'] }));
  const { sink: second } = sinkFor(t, ignoring.url);
  const other = startInstance(second);
  openSpan(second, other, undefined, { minimal: false }).end();
  t.equal(await second.flush(2000), true);
  t.same(full.spans(other).map((span) => [span.payload, span.status]), [[{ minimal: false }, 'complete']]);
});

t.test('the engine runs in no user context even when the package is first imported inside one', async (t) => {
  const server = await withServer(t);
  const storage = new AsyncLocalStorage<string>();
  // A fresh copy of the module, loaded inside the user's context (its scope is made at load).
  const fresh = await storage.run('user at import', () => import(`../../src/delivery/index.js?fresh=${Date.now()}`) as Promise<typeof import('../../src/delivery/index.js')>);
  const client = new PrefactorHttpClient({ apiUrl: server.url, apiToken: server.token, maxRetries: 0 });
  const sink = fresh.createDeliverySink({ client, logger: { debug() {}, info() {}, warn() {}, error() {} }, flushIntervalMs: 1 });
  t.teardown(async () => {
    await sink.shutdown(200);
    await client.close();
  });
  const seen: Array<string | undefined> = [];
  const terminated = new Promise<void>((resolve) =>
    sink.setTerminateHandler(() => {
      seen.push(storage.getStore());
      resolve();
    }),
  );
  const instanceId = startInstance(sink);
  server.terminate(instanceId, 'stop');
  openSpan(sink, instanceId, undefined, { a: 1 }).end();
  await terminated;
  t.same(seen, [undefined]);
});

t.test('at exit, an engine that still holds operations says how many spans, once per exit, and the fix', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => 'hang');
  const { sink, logger } = sinkFor(t, proxy.url, {}, { requestTimeoutMs: 60_000 });
  const idle = sinkFor(t, server.url);
  const instanceId = startInstance(sink);
  const parent = openSpan(sink, instanceId, undefined, { a: 1 });
  openSpan(sink, instanceId, parent.id, { b: 2 }).end();
  parent.end();
  reportAllUndelivered();
  t.match(logger.of('error'), [/^2 span\(s\) \(\d+ operation\(s\)\) were not delivered: .*await tracer\.shutdown\(\)/]);
  t.same(idle.logger.of('error'), [], 'an engine holding nothing says nothing');
  await sink.shutdown(50);
  reportAllUndelivered();
  t.equal(logger.of('error').length, 1, 'after shutdown nothing is held: nothing more is said');
});
