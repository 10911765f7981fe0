import t from 'tap';
import { accounted, openSpan, sinkFor, startInstance, until, withProxy } from '../fixtures/delivery.js';
import type { ExpectedSpan } from '../fixtures/delivery.js';
import { spanDifferences } from '../fixtures/delivery-check.js';
import { withServer } from '../fixtures/server.js';

const bulkItems = (body: string): Array<{ _type: string; idempotency_key: string }> =>
  (JSON.parse(body) as { items: Array<{ _type: string; idempotency_key: string }> }).items;

t.test('bulk stop-at-first-error: the rejected item and its dependants are dropped, the rest re-sent', async (t) => {
  const server = await withServer(t);
  const { sink, logger } = sinkFor(t, server.url, { flushIntervalMs: 60_000 });
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { a: 1 }, expected).end();
  // The server knows no span `ghost`: this create is refused (422), with its folded finish.
  const orphan = openSpan(sink, instanceId, 'ghost', { orphan: true });
  orphan.end();
  const child = openSpan(sink, instanceId, orphan.id, { child: true });
  openSpan(sink, instanceId, undefined, { d: 4 }, expected).end();
  t.equal(await sink.flush(5000), true);
  child.end();
  openSpan(sink, instanceId, child.id, { grandchild: true });
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  const stats = sink.stats();
  t.equal(stats.dropped.rejected_by_server, 2, 'the create and its folded finish');
  t.equal(stats.dropped.dependency_dropped, 3, "the child's create, its later finish, the grandchild");
  t.same(accounted(stats).left, accounted(stats).right);
  t.equal(stats.batchesSent, 2, 'one batch up to the failing item, one for the rest');
  t.ok(logger.lines.some((line) => line.level === 'debug' && line.message.includes('validation_error')));
  t.ok(logger.of('warn').some((line) => /Dropped 2 .*rejected_by_server/.test(line)), 'the storm is reported at flush');
});

t.test('a bulk item failing transiently is re-sent with its idempotency key', async (t) => {
  const server = await withServer(t);
  let failed = '';
  const proxy = await withProxy(t, server.url, ({ path, body }) => {
    if (failed !== '' || path !== '/api/v1/bulk') return undefined;
    failed = bulkItems(body)[0]!.idempotency_key;
    return { status: 200, body: { status: 'success', outputs: { [failed]: { status: 'error', code: 'internal_error', message: 'try again' } } } };
  });
  const { sink } = sinkFor(t, proxy.url);
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { a: 1 }, expected).end();
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  t.equal(bulkItems(proxy.requests[1]!.body)[0]!.idempotency_key, failed, 'the same key on the re-send');
  t.equal(sink.stats().operationsRetried, 4, 'every item of the batch was sent twice (a create carrying its finish counts 2)');
});

t.test('a server without the bulk endpoint (404) gets single requests', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, ({ path }) =>
    path === '/api/v1/bulk' ? { status: 404, body: { status: 'error', code: 'not_found', message: 'no such route' } } : undefined,
  );
  const { sink, logger } = sinkFor(t, proxy.url);
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  const parent = openSpan(sink, instanceId, undefined, { a: 1 }, expected);
  openSpan(sink, instanceId, parent.id, { b: 2 }, expected).end('failed', { error: 'x' });
  parent.end();
  sink.finishInstance(instanceId, 'complete', new Date().toISOString());
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  t.equal(server.instance(instanceId)?.status, 'complete');
  t.same(
    proxy.requests.map((request) => request.path.replace(instanceId, 'I')),
    [
      '/api/v1/bulk',
      '/api/v1/agent_instance/register',
      '/api/v1/agent_instance/I/start',
      '/api/v1/agent_spans',
      '/api/v1/agent_spans',
      '/api/v1/agent_instance/I/finish',
    ],
  );
  t.ok(logger.of('info').some((line) => line.includes('no bulk endpoint')));
});

t.test('an item answered unknown_action sends that operation type as single requests', async (t) => {
  const server = await withServer(t);
  // The proxy renames span finishes, so the server does not know them in a bulk request.
  const proxy = await withProxy(t, server.url, ({ path, body }) =>
    path === '/api/v1/bulk' ? { forward: body.replaceAll('"agent_spans/finish"', '"agent_spans/finish@v0"') } : undefined,
  );
  const { sink, logger } = sinkFor(t, proxy.url);
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  const spans = [1, 2, 3].map((n) => openSpan(sink, instanceId, undefined, { n }, expected));
  t.equal(await sink.flush(5000), true);
  for (const span of spans) span.end('complete', { ok: true });
  openSpan(sink, instanceId, spans[0]!.id, { n: 4 }, expected).end();
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  const finishes = proxy.requests.filter((request) => /^\/api\/v1\/agent_spans\/[^/]+\/finish$/.test(request.path));
  t.equal(finishes.length, 3);
  t.equal(logger.of('info').filter((line) => line.includes('agent_spans/finish')).length, 1);
  t.same(accounted(sink.stats()).left, accounted(sink.stats()).right);
});

t.test('batching: false sends every operation on its own, and the killswitch fires once per instance', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => undefined);
  const { sink } = sinkFor(t, proxy.url, { batching: false, concurrency: 2 });
  const calls: string[] = [];
  sink.setTerminateHandler((instanceId, reason) => calls.push(`${instanceId}: ${reason}`));
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  server.terminate(instanceId, 'stop now');
  for (let n = 0; n < 3; n++) openSpan(sink, instanceId, undefined, { n }, expected).end();
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  t.notOk(proxy.requests.some((request) => request.path === '/api/v1/bulk'));
  t.same(calls, [`${instanceId}: stop now`]);
});

t.test("a 429's Retry-After pauses the whole worker", async (t) => {
  const server = await withServer(t);
  let limited = false;
  const proxy = await withProxy(t, server.url, ({ path }) => {
    if (limited || path !== '/api/v1/bulk') return undefined;
    limited = true;
    return { status: 429, body: { status: 'error', code: 'rate_limited', message: 'slow down' }, headers: { 'retry-after': '1' } };
  });
  const { sink } = sinkFor(t, proxy.url, { maxBatchSize: 2, concurrency: 4, flushIntervalMs: 60_000 }, { maxRetryDelayMs: 300 });
  const instanceId = startInstance(sink);
  for (let n = 0; n < 7; n++) openSpan(sink, instanceId, undefined, { n }).end();
  t.equal(await sink.flush(5000), true);
  t.equal(server.spans(instanceId).length, 7);
  const [first, ...rest] = proxy.requests;
  t.ok(rest.length > 0);
  for (const request of rest) t.ok(request.at - first!.at >= 250, `the next request waited ${request.at - first!.at} ms`);
});

t.test('got retries inside a request keep the key, count as retries and honour Retry-After', async (t) => {
  const server = await withServer(t);
  let answered = 0;
  const proxy = await withProxy(t, server.url, ({ path }) => {
    if (path !== '/api/v1/bulk' || answered++ > 0) return undefined;
    return { status: 429, body: { status: 'error', code: 'rate_limited', message: 'slow down' }, headers: { 'retry-after': '0.05' } };
  });
  const { sink, logger } = sinkFor(t, proxy.url, {}, { maxRetries: 2 });
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { n: 1 }).end();
  t.equal(await sink.flush(5000), true);
  t.equal(proxy.requests.length, 2);
  t.equal(proxy.requests[0]!.body, proxy.requests[1]!.body, 'the same body and keys');
  const stats = sink.stats();
  t.equal(stats.requestsSent, 2);
  t.equal(stats.operationsRetried, 4);
  t.ok(logger.lines.some((line) => line.level === 'debug' && line.message.startsWith('Retrying /api/v1/bulk')));
});

t.test('a bulk body refused as too large (413) is split', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, ({ path, body }) =>
    path === '/api/v1/bulk' && bulkItems(body).length > 3
      ? { status: 413, body: { status: 'error', code: 'payload_too_large', message: 'too big' } }
      : undefined,
  );
  const { sink, logger } = sinkFor(t, proxy.url, { flushIntervalMs: 60_000 });
  const instanceId = startInstance(sink);
  for (let n = 0; n < 10; n++) openSpan(sink, instanceId, undefined, { n }).end();
  t.equal(await sink.flush(5000), true);
  t.equal(server.spans(instanceId).length, 10);
  t.ok(logger.of('info').some((line) => line.includes('batches of at most')));
});

t.test('a bulk request refused as a whole is retried one operation at a time', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, ({ path }) =>
    path === '/api/v1/bulk' ? { status: 422, body: { status: 'error', code: 'validation_error', message: 'no' } } : undefined,
  );
  const { sink, logger } = sinkFor(t, proxy.url);
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { n: 1 }, expected).end();
  openSpan(sink, instanceId, 'ghost', { n: 2 }).end();
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  t.equal(sink.stats().dropped.rejected_by_server, 2);
  t.ok(logger.of('info').some((line) => line.includes('one by one')));
});

t.test('a permanent failure of a one-operation bulk request drops it and says so', async (t) => {
  const server = await withServer(t);
  const { sink, logger } = sinkFor(t, server.url, { maxBatchSize: 1 }, { apiToken: 'wrong-token' });
  startInstance(sink);
  t.equal(await sink.flush(5000), true);
  t.equal(sink.stats().dropped.rejected_by_server, 1);
  t.equal(sink.stats().dropped.dependency_dropped, 1, 'the start');
  t.ok(logger.of('error').some((line) => line.includes('Delivery failed permanently')));
});

t.test('a success without outputs is a transient failure', async (t) => {
  const server = await withServer(t);
  let answered = false;
  const proxy = await withProxy(t, server.url, ({ path }) => {
    if (answered || path !== '/api/v1/bulk') return undefined;
    answered = true;
    return { status: 200, body: { status: 'success' } };
  });
  const { sink } = sinkFor(t, proxy.url);
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { n: 1 }).end();
  t.equal(await sink.flush(5000), true);
  t.equal(server.spans(instanceId).length, 1);
  t.equal(sink.stats().batchesSent, 1);
});

t.test('a create or a finish the server already has counts as delivered', async (t) => {
  const server = await withServer(t);
  const first = sinkFor(t, server.url);
  const second = sinkFor(t, server.url, { batching: false });
  const instanceId = startInstance(first.sink);
  const span = openSpan(first.sink, instanceId, undefined, { n: 1 });
  t.equal(await first.sink.flush(5000), true);
  span.end();
  t.equal(await first.sink.flush(5000), true);
  // The second sink knows nothing of them: its register, create and finish meet existing records.
  startInstance(second.sink, instanceId);
  second.sink.spanStarted({ id: span.id, instanceId, parentId: undefined, schemaName: 'x', payloadJson: '{}', startedAt: new Date().toISOString() });
  t.equal(await second.sink.flush(5000), true);
  second.sink.spanEnded({ id: span.id, instanceId, status: 'complete', resultPayloadJson: undefined, finishedAt: new Date().toISOString() });
  second.sink.finishInstance(instanceId, 'complete', new Date().toISOString());
  second.sink.finishInstance(instanceId, 'complete', new Date().toISOString());
  t.equal(await second.sink.flush(5000), true);
  const stats = second.sink.stats();
  t.equal(stats.operationsSent, 6);
  t.equal(stats.dropped.rejected_by_server, 0);
});

t.test('single requests: transient failures are re-sent, a transient item code backs off, shutdown aborts', async (t) => {
  const server = await withServer(t);
  let calls = 0;
  let hang = false;
  const proxy = await withProxy(t, server.url, () => {
    calls++;
    if (hang) return 'hang';
    if (calls === 1) return 'destroy';
    if (calls === 2) return { status: 400, body: { status: 'error', code: 'timeout', message: 'try later' } };
    return undefined;
  });
  const { sink } = sinkFor(t, proxy.url, { batching: false }, { requestTimeoutMs: 60_000 });
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { n: 1 }, expected).end();
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  t.equal(sink.stats().operationsRetried, 2, 'the register, twice');
  hang = true;
  openSpan(sink, instanceId, undefined, { n: 2 });
  t.equal(await sink.shutdown(50), false);
  t.equal(sink.stats().dropped.shutdown_timeout, 1);
  t.equal(sink.stats().inFlight, 0);
});

t.test('the killswitch in a bulk output, without a reason, and a throwing handler', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, ({ path, body }) => {
    if (path !== '/api/v1/bulk') return undefined;
    const outputs = Object.fromEntries(
      bulkItems(body).map((item) => [item.idempotency_key, { status: 'success', details: {}, control: { terminate: true } }]),
    );
    return { status: 200, body: { status: 'success', outputs } };
  });
  const { sink, logger } = sinkFor(t, proxy.url);
  const calls: string[] = [];
  sink.setTerminateHandler((instanceId, reason) => {
    calls.push(`${instanceId}: ${reason}`);
    throw 'handler bug';
  });
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { n: 1 }).end();
  t.equal(await sink.flush(5000), true);
  t.same(calls, [`${instanceId}: terminated by the API`]);
  t.ok(logger.of('error').some((line) => line.includes('handler bug')));
});

t.test('.flush() cuts a redelivery backoff short, but not a Retry-After pause', async (t) => {
  const server = await withServer(t);
  const answers: Array<'destroy' | { status: number; body: unknown; headers?: Record<string, string> }> = [
    'destroy',
    { status: 429, body: { status: 'error', code: 'rate_limited', message: 'slow down' }, headers: { 'retry-after': '0.3' } },
  ];
  const proxy = await withProxy(t, server.url, ({ path }) => (path === '/api/v1/bulk' ? answers.shift() : undefined));
  const { sink } = sinkFor(t, proxy.url, { redeliveryDelayMs: 10_000, maxRedeliveryDelayMs: 10_000 }, { maxRetryDelayMs: 1000 });
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { n: 1 }).end();
  await until(() => proxy.requests.length > 0 && sink.stats().inFlight === 0);
  const started = Date.now();
  t.equal(await sink.flush(3000), true);
  const [, limited, last] = proxy.requests;
  t.ok(limited!.at - started < 1000, 'the backoff of 10 s was cut');
  t.ok(last!.at - limited!.at >= 250, `the Retry-After pause was kept: ${last!.at - limited!.at} ms`);
  t.equal(server.spans(instanceId).length, 1);
});

t.test('a full batch leaves at once; a partial one waits for flushIntervalMs or a flush', async (t) => {
  const server = await withServer(t, { faults: { latencyMs: 50 } });
  const { sink } = sinkFor(t, server.url, { maxBatchSize: 4, flushIntervalMs: 60_000 });
  const instanceId = startInstance(sink);
  openSpan(sink, instanceId, undefined, { n: 1 }).end();
  openSpan(sink, instanceId, undefined, { n: 2 }).end();
  await until(() => sink.stats().inFlight > 0);
  openSpan(sink, instanceId, undefined, { n: 3 }).end();
  await until(() => sink.stats().inFlight === 0);
  t.equal(server.spans(instanceId).length, 2, 'the full batch went');
  t.equal(sink.stats().queued, 2, 'the partial one waits');
  t.equal(await sink.flush(5000), true);
  t.equal(server.spans(instanceId).length, 3);
});

t.test('maxBatchBytes closes a batch before its body passes it, sends a larger item alone, and a full one at once', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => undefined);
  const maxBatchBytes = 100_000;
  const { sink } = sinkFor(t, proxy.url, { maxBatchBytes, flushIntervalMs: 60_000 });
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  const text = 'x'.repeat(15_000);
  // Four spans of ~30 kB (payload and result) pass maxBatchBytes: a batch leaves without a flush.
  const arrived = new Promise<void>((resolve) => server.on('span', () => resolve()));
  for (let n = 0; n < 4; n++) openSpan(sink, instanceId, undefined, { n, text }, expected).end('complete', { text });
  await arrived;
  openSpan(sink, instanceId, undefined, { huge: 'y'.repeat(250_000) }, expected).end();
  for (let n = 4; n < 10; n++) openSpan(sink, instanceId, undefined, { n, text }, expected).end('complete', { text });
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  const bulks = proxy.requests.filter((request) => request.path === '/api/v1/bulk');
  const items = bulks.map((request) => bulkItems(request.body).length);
  const sizes = bulks.map((request) => Buffer.byteLength(request.body));
  t.same(items.slice(0, 1), [5], 'register, start and 3 spans: the 4th would not fit');
  for (const [index, size] of sizes.entries()) {
    if (size > maxBatchBytes) t.equal(items[index], 1, `a body of ${size} bytes holds one item`);
  }
  t.equal(sizes.filter((size) => size > maxBatchBytes).length, 1, `one body over the limit: ${sizes.join(', ')}`);
  t.equal(items.reduce((sum, count) => sum + count, 0), 2 + 11);
  const stats = sink.stats();
  t.equal(stats.operationsSent, stats.operationsEnqueued);
  t.equal(stats.queued + stats.inFlight + stats.bytesHeld, 0);
  t.same(accounted(stats).left, accounted(stats).right);
});
