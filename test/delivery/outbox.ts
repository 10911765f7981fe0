import t from 'tap';
import { OPERATION_OVERHEAD_BYTES } from '../../src/delivery/outbox.js';
import { generateId } from '../../src/util/ids.js';
import { accounted, openSpan, sinkFor, startInstance, until, withProxy } from '../fixtures/delivery.js';
import type { ExpectedSpan } from '../fixtures/delivery.js';
import { spanDifferences } from '../fixtures/delivery-check.js';
import { withServer } from '../fixtures/server.js';

t.test('ordering: registers before starts and spans, parents before children, instance finish last', async (t) => {
  const server = await withServer(t);
  // Small batches and four requests at once: a dependant must never leave before its dependency.
  const { sink } = sinkFor(t, server.url, { maxBatchSize: 3, concurrency: 4 });
  const violations: string[] = [];
  server.on('span', (span) => {
    if (server.instance(span.agent_instance_id)?.status !== 'active') violations.push(`span ${span.id} of a non-active instance`);
  });
  const expected: ExpectedSpan[] = [];
  const instances = Array.from({ length: 8 }, () => startInstance(sink));
  for (const instanceId of instances) {
    // A chain 15 deep, ended innermost first, and a sibling that ends after its parent.
    const chain: Array<ReturnType<typeof openSpan>> = [];
    for (let depth = 0; depth < 15; depth++) chain.push(openSpan(sink, instanceId, chain.at(-1)?.id, { depth }, expected));
    const late = openSpan(sink, instanceId, chain[0]!.id, { late: true }, expected);
    for (const span of chain.reverse()) span.end();
    late.end('cancelled');
    sink.finishInstance(instanceId, 'complete', new Date().toISOString());
  }
  t.equal(await sink.flush(10_000), true);
  t.same(spanDifferences(server, expected), [], 'every create found its instance and parent');
  t.same(violations, []);
  for (const instanceId of instances) t.equal(server.instance(instanceId)?.status, 'complete');
  const stats = sink.stats();
  t.equal(stats.operationsSent, stats.operationsEnqueued);
  t.equal(stats.dropped.rejected_by_server, 0);
});

t.test('coalescing: a span ended before its create left costs one operation and few requests', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => undefined);
  const { sink } = sinkFor(t, proxy.url, { maxBatchSize: 1000, flushIntervalMs: 60_000 });
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  for (let n = 0; n < 2000; n++) openSpan(sink, instanceId, undefined, { n }, expected).end('complete', { n });
  t.equal(await sink.flush(10_000), true);
  t.same(spanDifferences(server, expected), []);
  const stats = sink.stats();
  t.equal(stats.operationsCoalesced, 2000);
  t.equal(stats.operationsEnqueued, 4002);
  t.equal(stats.operationsSent, 4002);
  t.equal(proxy.requests.length, 3, '0.0015 requests per span');
});

t.test('coalescing never folds a finish into a create that was already sent once', async (t) => {
  const server = await withServer(t);
  let dropped = false;
  // The first bulk request is applied but its answer is lost: its create is re-sent with the same key.
  const proxy = await withProxy(t, server.url, ({ path }) => {
    if (dropped || path !== '/api/v1/bulk') return undefined;
    dropped = true;
    return 'destroy';
  });
  const { sink } = sinkFor(t, proxy.url, { redeliveryDelayMs: 50, maxRedeliveryDelayMs: 50 });
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  const span = openSpan(sink, instanceId, undefined, { n: 1 }, expected);
  await new Promise<void>((resolve) => {
    const wait = (): void => void (proxy.requests.length > 0 ? resolve() : setImmediate(wait));
    wait();
  });
  span.end('failed', { error: 'boom' });
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  t.equal(sink.stats().operationsCoalesced, 0);
});

t.test('maxQueueSize: beyond it new operations are dropped and counted, with their dependants', async (t) => {
  const server = await withServer(t);
  let open = false;
  const proxy = await withProxy(t, server.url, () => (open ? undefined : 'destroy'));
  const { sink, logger } = sinkFor(t, proxy.url, { maxQueueSize: 12, flushIntervalMs: 60_000 });
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  const spans = Array.from({ length: 10 }, (_, n) => openSpan(sink, instanceId, undefined, { n }, expected));
  for (let n = 0; n < 30; n++) {
    const parent = openSpan(sink, instanceId, undefined, { overflow: n });
    openSpan(sink, instanceId, parent.id, { child: n }).end();
    parent.end();
  }
  for (const span of spans) span.end();
  const stats = sink.stats();
  t.equal(stats.dropped.queue_overflow, 30, 'the 30 parents (the 10 finishes were folded into their creates)');
  t.equal(stats.dropped.dependency_dropped, 30 * 3, "each parent's child (create and finish) and its finish");
  t.equal(stats.queued, 22, 'register, start, and 10 creates carrying their finish');
  t.same(accounted(stats).left, accounted(stats).right);
  open = true;
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  t.equal(logger.of('warn').filter((line) => line.includes('queue_overflow')).length, 1, 'one warning for the storm');
  t.ok(logger.of('warn').some((line) => line.startsWith('Dropped 30 ')));
});

t.test('maxQueueBytes bounds the payload bytes held', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => 'destroy');
  const { sink } = sinkFor(t, proxy.url, { maxQueueBytes: 10_000, flushIntervalMs: 60_000 });
  const instanceId = startInstance(sink);
  const big = 'x'.repeat(1000);
  let peak = 0;
  for (let n = 0; n < 50; n++) {
    openSpan(sink, instanceId, undefined, { big }).end('complete', { big });
    peak = Math.max(peak, sink.stats().bytesHeld);
  }
  const stats = sink.stats();
  // Finishes (here a create's folded result) may use a reserve of a tenth beyond the bound.
  t.ok(peak <= 11_000, `peak ${peak}`);
  t.ok(stats.dropped.queue_overflow > 40);
  t.same(accounted(stats).left, accounted(stats).right);
});

t.test('maxQueueBytes counts UTF-8 bytes on the wire plus a per-operation overhead', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => 'hang');
  const { sink } = sinkFor(t, proxy.url, { flushIntervalMs: 60_000 }, { requestTimeoutMs: 60_000 });
  const instanceId = startInstance(sink);
  const before = sink.stats().bytesHeld;
  // 1,000 characters of 3 UTF-8 bytes each: 1,000 UTF-16 code units, 3,000 bytes on the wire.
  const payloadJson = JSON.stringify({ text: '\u20ac'.repeat(1000) });
  sink.spanStarted({ id: 'euro', instanceId, parentId: undefined, schemaName: 'agent:test', payloadJson, startedAt: new Date().toISOString() });
  t.equal(sink.stats().bytesHeld - before, Buffer.byteLength(payloadJson) + OPERATION_OVERHEAD_BYTES);
  t.ok(Buffer.byteLength(payloadJson) > 3000);
});

t.test('under overflow the finishes still get in (a reserve), so nothing stays active after the outage', async (t) => {
  const server = await withServer(t);
  server.setFaults({ outageMs: 60_000 });
  const { sink } = sinkFor(t, server.url, { maxQueueSize: 20 });
  const instanceId = startInstance(sink);
  const spans = Array.from({ length: 40 }, (_, n) => openSpan(sink, instanceId, undefined, { n }));
  t.equal(sink.stats().dropped.queue_overflow, 22, 'creates beyond the bound: 18 fit with the register and start');
  for (const span of spans) span.end();
  sink.finishInstance(instanceId, 'complete', new Date().toISOString());
  const during = sink.stats();
  t.equal(during.dropped.queue_overflow, 22, 'no finish was refused');
  t.equal(during.dropped.dependency_dropped, 22, 'the finishes of the dropped creates');
  server.setFaults({});
  t.equal(await sink.flush(10_000), true);
  t.equal(server.instance(instanceId)?.status, 'complete');
  t.same(new Set(server.spans(instanceId).map((span) => span.status)), new Set(['complete']));
  t.equal(server.spans(instanceId).length, 18);
});

t.test('an instance whose register was dropped takes its whole subtree with it', async (t) => {
  const server = await withServer(t);
  const { sink } = sinkFor(t, server.url, { maxQueueSize: 1, flushIntervalMs: 60_000 });
  startInstance(sink);
  const dropped = generateId();
  startInstance(sink, dropped);
  const span = openSpan(sink, dropped, undefined, { n: 1 });
  span.end();
  sink.finishInstance(dropped, 'complete', new Date().toISOString());
  const stats = sink.stats();
  t.equal(stats.dropped.queue_overflow, 2, 'the first start and the second register');
  t.equal(stats.dropped.dependency_dropped, 4, 'start, create, finish and finish of the second instance');
  t.equal(await sink.flush(5000), true);
});

t.test('a finish that finds the queue full takes the reserve; one beyond the reserve is dropped', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => 'hang');
  const { sink } = sinkFor(t, proxy.url, { maxQueueSize: 3, flushIntervalMs: 1 }, { requestTimeoutMs: 60_000 });
  const instanceId = startInstance(sink);
  const span = openSpan(sink, instanceId, undefined, { n: 1 });
  await until(() => sink.stats().inFlight === 3);
  span.end();
  t.equal(sink.stats().dropped.queue_overflow, 0, 'the span finish took the reserve (a tenth of maxQueueSize, rounded up: 1)');
  sink.finishInstance(instanceId, 'complete', new Date().toISOString());
  t.equal(sink.stats().dropped.queue_overflow, 1, 'the reserve is full too');
});

t.test('a span finish beyond the reserve, its create already sent, is dropped', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => 'hang');
  const { sink } = sinkFor(t, proxy.url, { maxQueueSize: 4, flushIntervalMs: 1 }, { requestTimeoutMs: 60_000 });
  const instanceId = startInstance(sink);
  const first = openSpan(sink, instanceId, undefined, { n: 1 });
  const second = openSpan(sink, instanceId, undefined, { n: 2 });
  // Sent and never answered: the creates cannot take their finishes any more.
  await until(() => sink.stats().inFlight === 4);
  first.end();
  t.equal(sink.stats().dropped.queue_overflow, 0, 'the first finish took the reserve (a tenth of maxQueueSize, rounded up: 1)');
  second.end();
  t.equal(sink.stats().dropped.queue_overflow, 1, 'the second found the reserve full');
  t.equal(sink.stats().operationsCoalesced, 0);
});

t.test('dropped span ids are remembered within a bound', async (t) => {
  const server = await withServer(t);
  const { sink } = sinkFor(t, server.url, { maxQueueSize: 2, flushIntervalMs: 60_000 });
  const instanceId = startInstance(sink);
  const first = openSpan(sink, instanceId, undefined, { n: 0 });
  for (let n = 1; n <= 10_000; n++) openSpan(sink, instanceId, undefined, { n });
  first.end();
  // 10,001 creates found no room; the first one's id was forgotten, so its finish is not known as a
  // dependant: it takes the reserve kept for finishes (and the API will refuse it).
  t.equal(sink.stats().dropped.queue_overflow, 10_001);
  t.equal(sink.stats().queued, 3);
  t.equal(sink.stats().dropped.dependency_dropped, 0);
});

t.test('a drop storm costs the user O(1) per dropped span, with the dropped-id memory full', async (t) => {
  const server = await withServer(t);
  const { sink } = sinkFor(t, server.url, { maxQueueSize: 2, flushIntervalMs: 60_000 });
  const instanceId = startInstance(sink);
  const startedAt = new Date().toISOString();
  const events = Array.from({ length: 40_000 }, (_, n) => ({
    id: `span-${n}`,
    instanceId,
    parentId: undefined,
    schemaName: 'agent:test',
    payloadJson: '{}',
    startedAt,
  }));
  // The first 10,000 fill the memory of dropped ids; each later one evicts the oldest.
  for (const event of events.slice(0, 10_000)) sink.spanStarted(event);
  const storm = events.slice(10_000);
  const before = process.cpuUsage();
  for (const event of storm) sink.spanStarted(event);
  const cpu = process.cpuUsage(before);
  const perSpanUs = (cpu.user + cpu.system) / storm.length;
  // Evicting through Set#values().next() cost ~13 us per dropped span; O(1) eviction costs ~1 us.
  // The bound leaves room for a loaded machine (CI shares its cores) and still catches the O(n) one.
  t.ok(perSpanUs < 6, `${perSpanUs.toFixed(2)} us of CPU per dropped span`);
  t.equal(sink.stats().dropped.queue_overflow, 40_000, 'every create');
  t.same(accounted(sink.stats()).left, accounted(sink.stats()).right);
});

t.test('a finish folded into its queued create may use the byte reserve; one beyond the reserve is dropped', async (t) => {
  const server = await withServer(t);
  // Nothing leaves before the checks (flushIntervalMs 60 s): both creates are queued, never sent, so
  // their finishes fold into them. The byte bound is 10,000; finishes may use a reserve of a tenth.
  const { sink } = sinkFor(t, server.url, { maxQueueBytes: 10_000, flushIntervalMs: 60_000 });
  const instanceId = startInstance(sink);
  const json = (bytes: number): string => JSON.stringify({ pad: 'x'.repeat(bytes - '{"pad":""}'.length) });
  const startedAt = new Date().toISOString();
  const start = (id: string, payloadJson: string): void => sink.spanStarted({ id, instanceId, parentId: undefined, schemaName: 'agent:test', payloadJson, startedAt });
  const end = (id: string, resultPayloadJson: string): void => sink.spanEnded({ id, instanceId, status: 'complete', resultPayloadJson, finishedAt: new Date().toISOString() });

  start('first', json(8000 - sink.stats().bytesHeld - OPERATION_OVERHEAD_BYTES));
  start('second', '{}');
  t.equal(sink.stats().bytesHeld, 8000 + 2 + OPERATION_OVERHEAD_BYTES, 'both creates fit within the bound');
  end('first', json(2000));
  t.equal(sink.stats().bytesHeld, 10_514, "folded: only the result's bytes were added, beyond the bound");
  t.equal(sink.stats().operationsCoalesced, 1);
  end('second', json(600));
  t.equal(sink.stats().dropped.queue_overflow, 1, '11,114 bytes would exceed the bound and its reserve (11,000)');
  t.equal(sink.stats().operationsCoalesced, 1);
  t.equal(sink.stats().bytesHeld, 10_514);

  t.equal(await sink.flush(5000), true);
  t.same(
    server.spans(instanceId).map((span) => [span.id, span.status]).sort(),
    [['first', 'complete'], ['second', 'active']],
    'the folded finish arrived with its create; the refused one left its span active',
  );
  t.same(accounted(sink.stats()).left, accounted(sink.stats()).right);
});

t.test('a span of an instance the sink was never told of carries its own instance id, in its create and its finish', async (t) => {
  // An API that confirms every item (the local server refuses a span of an unknown instance).
  const proxy = await withProxy(t, 'http://127.0.0.1:9', ({ body }) => {
    const items = (JSON.parse(body) as { items: Array<{ idempotency_key: string }> }).items;
    return { status: 200, body: { outputs: Object.fromEntries(items.map((item) => [item.idempotency_key, { status: 'success' }])) } };
  });
  const { sink } = sinkFor(t, proxy.url);
  const instanceId = generateId();
  const span = openSpan(sink, instanceId, undefined, { n: 1 });
  t.equal(await sink.flush(5000), true);
  span.end('complete', { ok: true });
  t.equal(await sink.flush(5000), true);
  const items = proxy.requests.flatMap((request) => (JSON.parse(request.body) as { items: Array<Record<string, unknown>> }).items);
  t.same(
    items.map((item) => [item._type, (item.details as { agent_instance_id?: string } | undefined)?.agent_instance_id ?? item.agent_span_id]),
    [
      ['agent_spans/create', instanceId],
      ['agent_spans/finish', span.id],
    ],
  );
  t.equal(sink.stats().operationsSent, 2);
});
