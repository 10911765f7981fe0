import t from 'tap';
import { generateId } from '../../src/util/ids.js';
import { accounted, sinkFor, startInstance, until } from '../fixtures/delivery.js';
import { withServer } from '../fixtures/server.js';

const now = (): string => new Date().toISOString();

t.test('a remote create waits for its instance and parent from another process, then lands (single requests)', async (t) => {
  const server = await withServer(t);
  const receiver = sinkFor(t, server.url, { batching: false });
  const caller = sinkFor(t, server.url);
  const instanceId = generateId();
  const parentId = generateId();
  const childId = generateId();
  // The receiver's create comes first: its instance and parent are not there yet.
  receiver.sink.spanStarted({ id: childId, instanceId, parentId, schemaName: 'service', payloadJson: '{}', startedAt: now(), remote: true });
  receiver.sink.spanEnded({ id: childId, instanceId, status: 'complete', resultPayloadJson: '{"ok":true}', finishedAt: now() });
  await receiver.logger.waitFor('debug', 1);
  t.match(receiver.logger.of('debug')[0], /does not know the instance or parent of remote span/);
  startInstance(caller.sink, instanceId);
  caller.sink.spanStarted({ id: parentId, instanceId, parentId: undefined, schemaName: 'caller', payloadJson: '{}', startedAt: now() });
  t.equal(await caller.sink.flush(5000), true);
  t.equal(await receiver.sink.flush(10_000), true);
  t.match(server.spans(instanceId).map((span) => [span.id, span.parent_span_id, span.status]), [[parentId, null, 'active'], [childId, parentId, 'complete']]);
  const stats = receiver.sink.stats();
  t.ok(stats.operationsRetried >= 2, 'retried, its folded finish with it');
  t.equal(stats.operationsSent, 2);
  t.same(accounted(stats).left, accounted(stats).right);
});

t.test('a remote create whose parent never comes is dropped as parent_not_found after remoteParentWaitMs, said once', async (t) => {
  const server = await withServer(t);
  const { sink, logger } = sinkFor(t, server.url, { remoteParentWaitMs: 300 });
  const instanceId = generateId();
  const parentId = generateId();
  const ids = [generateId(), generateId()];
  sink.spanStarted({ id: ids[0]!, instanceId, parentId, schemaName: 'a', payloadJson: '{}', startedAt: now(), remote: true });
  sink.spanStarted({ id: ids[1]!, instanceId, parentId: ids[0], schemaName: 'b', payloadJson: '{}', startedAt: now(), remote: true });
  sink.spanEnded({ id: ids[1]!, instanceId, status: 'complete', resultPayloadJson: undefined, finishedAt: now() });
  t.equal(await sink.flush(10_000), true);
  const stats = sink.stats();
  t.equal(stats.dropped.parent_not_found, 1);
  t.equal(stats.dropped.dependency_dropped, 2, 'its child, with the child\'s folded finish');
  t.same(accounted(stats).left, accounted(stats).right);
  await logger.waitFor('warn', 1);
  t.match(logger.of('warn'), [/Dropped 1 telemetry operation\(s\) \(parent_not_found\): they continue a trace from another process/]);
});

t.test('a create that is not remote is rejected at once when its instance is missing', async (t) => {
  const server = await withServer(t);
  const { sink } = sinkFor(t, server.url);
  sink.spanStarted({ id: generateId(), instanceId: generateId(), parentId: undefined, schemaName: 'a', payloadJson: '{}', startedAt: now() });
  t.equal(await sink.flush(5000), true);
  t.match(sink.stats(), { dropped: { rejected_by_server: 1, parent_not_found: 0 }, operationsRetried: 0 });
});

t.test('a remote create held while the spans written after it are delivered: the chunk of texts it keeps counts against maxQueueBytes', async (t) => {
  const server = await withServer(t);
  const { sink } = sinkFor(t, server.url, { remoteParentWaitMs: 60_000, maxQueueBytes: 64 * 1024 });
  const instanceId = startInstance(sink);
  // Its texts come first in the arena's chunk; the 40 spans' texts (1 KB payloads) follow them there.
  sink.spanStarted({ id: generateId(), instanceId: generateId(), parentId: generateId(), schemaName: 'remote', payloadJson: '{}', startedAt: now(), remote: true });
  const payloadJson = JSON.stringify({ text: 'x'.repeat(1000) });
  for (let i = 0; i < 40; i++) sink.spanStarted({ id: generateId(), instanceId, parentId: undefined, schemaName: 'local', payloadJson, startedAt: now() });
  // Delivered, all but the remote create: no event says when the engine has taken the answers in.
  await until(() => sink.stats().operationsSent === 42);
  const held = sink.stats();
  t.equal(held.queued + held.inFlight, 1, 'only the remote create is held');
  t.ok(held.bytesHeld > 40_000, `but it keeps the chunk its texts are in: ${held.bytesHeld} bytes held`);
  // A payload that fits the bound, but not beside the chunk kept, is refused and counted.
  sink.spanStarted({ id: generateId(), instanceId, parentId: undefined, schemaName: 'local', payloadJson: JSON.stringify({ text: 'y'.repeat(30_000) }), startedAt: now() });
  t.equal(sink.stats().dropped.queue_overflow, 1);
});
