import { once } from 'node:events';
import net from 'node:net';
import t from 'tap';
import { accounted, sinkFor, spanForest, startInstance, openSpan } from '../fixtures/delivery.js';
import type { ExpectedSpan } from '../fixtures/delivery.js';
import { spanDifferences } from '../fixtures/delivery-check.js';
import { withServer } from '../fixtures/server.js';

t.test('exactly once under chaos: 5xx, 429, dropped connections, stalls after applying, malformed answers', async (t) => {
  const server = await withServer(t, {
    seed: 7,
    faults: {
      errorRate: 0.3,
      rateLimitRate: 0.05,
      retryAfterSeconds: 0.01,
      dropRate: 0.05,
      stallRate: 0.05,
      malformedRate: 0.03,
    },
  });
  const { sink, logger } = sinkFor(
    t,
    server.url,
    { maxBatchSize: 40, concurrency: 4, flushIntervalMs: 2 },
    { maxRetries: 1, requestTimeoutMs: 150 },
  );
  const expected: ExpectedSpan[] = [];
  const instances = Array.from({ length: 20 }, () => startInstance(sink));
  instances.forEach((instanceId, index) => spanForest(sink, instanceId, 150, expected, index + 1));
  for (const instanceId of instances) sink.finishInstance(instanceId, 'complete', new Date().toISOString());
  t.equal(await sink.flush(25_000), true);
  t.same(spanDifferences(server, expected), [], 'every span once, with its instance, parent, status and payloads');
  for (const instanceId of instances) t.equal(server.instance(instanceId)?.status, 'complete');
  const stats = sink.stats();
  t.same(accounted(stats).left, accounted(stats).right, 'the counters add up');
  t.equal(stats.operationsSent, stats.operationsEnqueued, 'nothing dropped');
  t.ok(stats.operationsRetried > 0 && stats.requestsSent > stats.batchesSent);
  const faults = server.faultCounts();
  t.ok(faults.error > 0 && faults.rateLimit > 0 && faults.drop > 0 && faults.stall > 0 && faults.malformed > 0, JSON.stringify(faults));
  t.same(logger.of('error'), []);
});

t.test('an outage of a second in the middle of a run loses nothing', async (t) => {
  const server = await withServer(t);
  const { sink } = sinkFor(t, server.url, { maxBatchSize: 50 });
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  spanForest(sink, instanceId, 200, expected, 3);
  t.equal(await sink.flush(5000), true);
  server.setFaults({ outageMs: 1000 });
  spanForest(sink, instanceId, 300, expected, 4);
  t.equal(await sink.flush(100), false, 'nothing gets through during the outage');
  t.equal(await sink.flush(10_000), true);
  t.same(spanDifferences(server, expected), []);
  t.ok(server.faultCounts().outage > 0);
  t.equal(sink.stats().operationsSent, sink.stats().operationsEnqueued);
});

t.test('an outage longer than the buffer drops exactly what the counters say, within bounds', async (t) => {
  const server = await withServer(t);
  server.setFaults({ outageMs: 60_000 });
  const { sink, logger } = sinkFor(t, server.url, { maxQueueSize: 102, maxQueueBytes: 1_000_000 });
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  let peakQueued = 0;
  let peakBytes = 0;
  for (let n = 0; n < 1000; n++) {
    openSpan(sink, instanceId, undefined, { n, text: 'y'.repeat(200) }, n < 100 ? expected : undefined).end('complete', { n });
    peakQueued = Math.max(peakQueued, sink.stats().queued + sink.stats().inFlight);
    peakBytes = Math.max(peakBytes, sink.stats().bytesHeld);
  }
  t.equal(await sink.flush(200), false);
  const during = sink.stats();
  t.equal(during.dropped.queue_overflow, 900, 'each create beyond the bound');
  t.equal(during.dropped.dependency_dropped, 900, 'and its finish');
  t.ok(peakQueued <= 2 * 102 && peakBytes <= 1_000_000, `peak ${peakQueued} operations, ${peakBytes} bytes`);
  server.setFaults({});
  t.equal(await sink.flush(10_000), true);
  t.same(spanDifferences(server, expected), [], 'exactly the 100 spans that fitted');
  const stats = sink.stats();
  t.equal(stats.operationsSent, 2 + 200);
  t.same(accounted(stats).left, accounted(stats).right);
  t.ok(logger.of('warn').some((line) => line.startsWith('Dropped 900 telemetry operation(s) (queue_overflow)')));
});

t.test("the user's code does not wait for a slow or dead server", async (t) => {
  const slow = await withServer(t, { faults: { latencyMs: 2000 } });
  for (const url of [slow.url, 'http://127.0.0.1:9']) {
    const { sink } = sinkFor(t, url, { maxBatchSize: 10, flushIntervalMs: 1 }, { requestTimeoutMs: 5000 });
    const instanceId = startInstance(sink);
    let total = 0;
    for (let n = 0; n < 500; n++) {
      const started = process.hrtime.bigint();
      openSpan(sink, instanceId, undefined, { n }).end();
      total += Number(process.hrtime.bigint() - started) / 1e6;
      if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // A span start and end that waited for the server would take its 2 s latency (or a connection
    // attempt): 1 s in all leaves room for a loaded machine, which stretches these calls (50-70 ms here at load 8).
    t.ok(total < 1000, `${url}: 500 span starts and ends took ${total.toFixed(2)} ms`);
  }
});

/** A port nothing listens on (it was free a moment ago). */
async function deadPort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

t.test('an outage with the API down (a dead port) drops nothing as rejected_by_server, on every Node version', async (t) => {
  // Node 24 reports the client's retries against a dead port as ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
  // which must not be read as a rejection by the server (it once dropped the register and every span).
  const port = await deadPort();
  const { sink } = sinkFor(t, `http://127.0.0.1:${port}`, { maxBatchSize: 20 }, { maxRetries: 2 });
  const expected: ExpectedSpan[] = [];
  const instanceId = startInstance(sink);
  spanForest(sink, instanceId, 100, expected, 5);
  t.equal(await sink.flush(100), false, 'nothing gets through while the port is dead');
  const during = sink.stats();
  t.ok(during.requestsSent >= 3, `${during.requestsSent} attempts failed`);
  t.equal(during.dropped.rejected_by_server + during.dropped.dependency_dropped, 0);
  t.same(accounted(during).left, accounted(during).right);
  const server = await withServer(t, { port });
  t.equal(await sink.flush(5000), true);
  t.same(spanDifferences(server, expected), []);
  const stats = sink.stats();
  t.equal(stats.operationsSent, stats.operationsEnqueued, 'nothing dropped');
  t.equal(stats.queued + stats.inFlight + stats.bytesHeld, 0);
});
