import t from 'tap';
import { defineSpanType } from '../../src/tracing/span-types.js';
import { deliveryTracer, memoryTracer } from '../fixtures/tracer.js';
import { outputOf, spawnScript } from '../fixtures/child-env.js';
import { z } from 'zod';

// Issue 14 item 10: spans that never end (a promise that never settles, an iterator never read) are
// ended `cancelled` at shutdown, with their instances; counted and said once.

const never = (): Promise<never> => new Promise<never>(() => {});

/** An async iterable whose first `next()` never settles: read once, then abandoned. */
function stuckStream(): AsyncIterable<string> {
  return { [Symbol.asyncIterator]: () => ({ next: never }) };
}

t.test('shutdown cancels the open spans and their instances, counts them, and says so once', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t);
  let hungId = '';
  let hungSpan = '';
  void tracer.withInstance((instance) => {
    hungId = instance.id;
    return tracer.withSpan('agent:outer', {}, () =>
      tracer.withSpan('agent:hung', {}, (span) => {
        hungSpan = span.id;
        return never();
      }),
    );
  });
  // An instance whose callback is done, but whose stream was never read to the end.
  let streamId = '';
  const stream = tracer.withInstance((instance) => {
    streamId = instance.id;
    return tracer.withSpan('agent:stream', {}, () => stuckStream());
  });
  void stream[Symbol.asyncIterator]().next();
  // A callback that never settles, no span open; and a finished instance, left alone.
  let pendingId = '';
  void tracer.withInstance((instance) => {
    pendingId = instance.id;
    return never();
  });
  const doneId = await tracer.withInstance(async (instance) => tracer.withSpan('agent:done', {}, async () => instance.id));
  // A span of the default instance that never ends.
  void tracer.withSpan('agent:default-hung', {}, never);

  t.equal(await tracer.shutdown(), true);
  const statusOf = (id: string): string | undefined => sink.instance(id)?.status;
  t.equal(statusOf(hungId), 'cancelled');
  t.equal(statusOf(streamId), 'cancelled', 'cancelled, though its callback returned');
  t.equal(statusOf(pendingId), 'cancelled');
  t.equal(statusOf(doneId), 'complete');
  const defaultInstance = sink.instances().find((instance) => ![hungId, streamId, pendingId, doneId].includes(instance.id));
  t.equal(defaultInstance?.status, 'cancelled', 'the default instance, with a span open');
  t.match(sink.span(hungSpan), { status: 'cancelled', resultPayload: { reason: 'shutdown' } });
  t.same(
    sink
      .spans()
      .filter((span) => span.status === 'cancelled')
      .map((span) => span.schemaName)
      .sort(),
    ['agent:default-hung', 'agent:hung', 'agent:outer', 'agent:stream'],
  );
  t.notOk(sink.spans().some((span) => span.status === 'active'), 'no span left active');
  const stats = tracer.stats();
  t.equal(stats.spansCancelledAtShutdown, 4);
  t.equal(stats.instancesCancelledAtShutdown, 4);
  t.equal(stats.spansEnded, stats.spansStarted, 'every span ended');
  t.equal(stats.instancesFinished, stats.instancesStarted, 'every instance finished');
  const warnings = logger.lines.filter((line) => line.level === 'warn' && line.message.startsWith('At shutdown'));
  t.equal(warnings.length, 1, 'said once');
  t.match(warnings[0]?.message, /4 span\(s\) had not ended in 4 agent instance\(s\).*never settled.*never fully read/);
  t.same(warnings[0]?.details, { spans: 4, instances: 4 });
  await tracer.shutdown();
  t.equal(logger.lines.filter((line) => line.message.startsWith('At shutdown')).length, 1, 'not again on a second shutdown()');
});

t.test('a span ended by shutdown ignores what its callback does later; a result schema is not applied', async (t) => {
  const typed = defineSpanType({ name: 'agent:typed', result: z.object({ answer: z.number() }) });
  const { tracer, sink, logger } = memoryTracer(t, { spanTypes: [typed], validatePayloads: 'throw' });
  let release!: (value: { answer: number }) => void;
  let spanId = '';
  const promise = tracer.withSpan(typed, {}, (span) => {
    spanId = span.id;
    return new Promise<{ answer: number }>((resolve) => (release = resolve));
  });
  await tracer.shutdown();
  release({ answer: 42 });
  t.same(await promise, { answer: 42 }, 'the caller still gets its value');
  t.match(sink.span(spanId), { status: 'cancelled', resultPayload: { reason: 'shutdown' } });
  t.equal(tracer.stats().payloadValidationFailures, 0);
  t.equal(tracer.stats().dropped.after_shutdown, 0, 'the late settle is not a drop');
  t.notOk(logger.messages('error').length, 'nothing logged as an error');
});

t.test('a clean shutdown says nothing and counts nothing', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t);
  await tracer.withInstance(async () => tracer.withSpan('agent:a', {}, async () => 1));
  tracer.withSpan('agent:default', {}, () => 2);
  await tracer.shutdown();
  t.equal(tracer.stats().spansCancelledAtShutdown, 0);
  t.equal(tracer.stats().instancesCancelledAtShutdown, 0);
  t.same(sink.instances().map((instance) => instance.status), ['complete', 'complete'], 'the default instance finishes complete');
  t.same(logger.messages('warn'), []);
});

t.test('through the delivery engine, the stored instance and span are cancelled, not active', async (t) => {
  const { tracer, server } = await deliveryTracer(t);
  let instanceId = '';
  void tracer.withInstance((instance) => {
    instanceId = instance.id;
    return tracer.withSpan('agent:hung', { step: 1 }, never);
  });
  t.equal(await tracer.shutdown({ timeoutMs: 5000 }), true, 'the finishes were delivered by the shutdown flush');
  t.equal(server.instance(instanceId)?.status, 'cancelled');
  t.match(server.tree(instanceId), [{ schema_name: 'agent:hung', status: 'cancelled', result_payload: { reason: 'shutdown' } }]);
  t.equal(tracer.stats().instancesCancelledAtShutdown, 1);
});

t.test('a finished instance is not retained by the tracer (collectable)', async (t) => {
  const child = spawnScript('test/fixtures/instance-gc-child.ts', [], {}, ['--expose-gc']);
  const { code, stdout, stderr } = await outputOf(child);
  t.equal(code, 0, stderr);
  const report = JSON.parse(stdout.trim()) as { finishedCollected: boolean; liveCollected: boolean; statuses: string[] };
  t.equal(report.finishedCollected, true, 'the finished instance was garbage-collected');
  t.equal(report.liveCollected, false, 'control: an instance still running is kept (the test can see retention)');
  t.same(report.statuses, ['complete', 'cancelled']);
});

t.test('an instance cancelled at shutdown stays cancelled when its callback settles later', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  let release!: () => void;
  let id = '';
  const done = tracer.withInstance((instance) => {
    id = instance.id;
    return new Promise<string>((resolve) => (release = () => resolve('late')));
  });
  await tracer.shutdown();
  release();
  t.equal(await done, 'late', 'the caller still gets its value');
  t.equal(sink.instance(id)?.status, 'cancelled');
  t.equal(tracer.stats().instancesFinished, 1, 'finished once');
});

t.test('spans that end out of order leave the others open for shutdown: newest first, only the unended', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const release: (() => void)[] = [];
  const held = () => new Promise<void>((resolve) => release.push(resolve));
  void tracer.withSpan('first', {}, held);
  void tracer.withSpan('middle', {}, held);
  void tracer.withSpan('last', {}, held);
  release[1]!(); // the middle one ends: its neighbours stay linked
  release[0]!(); // then the oldest
  await new Promise((resolve) => setImmediate(resolve));
  await tracer.shutdown();
  const status = Object.fromEntries(sink.spans().map((span) => [span.schemaName, span.status]));
  t.same(status, { first: 'complete', middle: 'complete', last: 'cancelled' });
  t.equal(tracer.stats().spansCancelledAtShutdown, 1);
});
