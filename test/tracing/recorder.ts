import t from 'tap';
import { Recorder } from '../../src/tracing/recorder.js';
import { InMemorySink } from '../../src/sinks/memory-sink.js';
import { resolveTracerOptions } from '../../src/tracing/tracer-options.js';
import { recordingLogger } from '../fixtures/tracer.js';
import { Tracer } from '../../src/tracing/tracer.js';
import { OUTCOME_OK, settle } from '../../src/tracing/settle.js';

t.test('Recorder counts instances and spans and turns them into sink events', async (t) => {
  const sink = new InMemorySink();
  const logger = recordingLogger();
  const recorder = new Recorder(resolveTracerOptions({ sink, logger }, {}), sink);
  const instance = recorder.startInstance('given-id', 'purpose');
  const span = recorder.startSpan(undefined, 'step', { a: 1 }, instance, undefined)!;
  t.equal(span.instanceId, 'given-id');
  span.setResult({ done: true });
  span.cancel();
  t.equal(recorder.defaultInstance(), recorder.defaultInstance(), 'one default instance');
  recorder.finishDefaultInstance();
  recorder.terminate('no-such-instance', 'ignored');
  t.same(recorder.counters(), {
    spansStarted: 1,
    spansEnded: 1,
    instancesStarted: 2,
    instancesFinished: 1,
    payloadValidationFailures: 0,
    serializationFailures: 0,
    payloadsTruncated: 0,
    spansSkippedStackDepth: 0,
    spansAfterInstanceFinished: 0,
    spansCancelledAtShutdown: 0,
    instancesCancelledAtShutdown: 0,
    telemetryErrors: 0,
    instancesSampledOut: 0,
    instancesKeptForErrors: 0,
    instancesHoldOverflowed: 0,
    remoteContextsContinued: 0,
    remoteContextsIgnored: 0,
    redactionFailures: 0,
  });
  t.match(sink.instances(), [{ id: 'given-id', purpose: 'purpose', status: 'active' }, { status: 'complete' }]);
  t.same(sink.span(span.id)?.resultPayload, { done: true });
  recorder.misuse('a misuse', { spanId: 'x' });
  t.match(logger.lines, [{ level: 'warn', message: 'a misuse' }]);
});

t.test('Recorder.finishDefaultInstance() without a default instance does nothing', async (t) => {
  const sink = new InMemorySink();
  const recorder = new Recorder(resolveTracerOptions({ sink, logger: false }, {}), sink);
  recorder.finishDefaultInstance();
  t.equal(sink.instances().length, 0);
});

/** A payload that throws on every trap, even getPrototypeOf. */
function hostileProxy(): object {
  const thrower = (): never => {
    throw new Error('trap');
  };
  return new Proxy({}, new Proxy({}, { get: () => thrower }));
}

t.test('a payload that throws on every trap leaves the span and its instance closable', async (t) => {
  const sink = new InMemorySink();
  const logger = recordingLogger();
  const tracer = new Tracer({ sink, logger });
  t.teardown(() => tracer.shutdown());
  const value = await tracer.withInstance(async () => {
    const inner = tracer.withSpan('hostile-payload', hostileProxy(), () => 'ran');
    tracer.withSpan('hostile-result', {}, (span) => span.setResult(hostileProxy()));
    tracer.withSpan('hostile-return', {}, () => hostileProxy());
    return inner;
  });
  t.equal(value, 'ran');
  // Before: the open-span count was raised before serialising and never lowered: the instance stayed active.
  t.match(sink.instances(), [{ status: 'complete' }]);
  t.same(sink.spans().map((span) => span.status), ['complete', 'complete', 'complete']);
  t.same(sink.spans()[0]?.payload, { value: '[Unreadable: trap]' });
  t.same(sink.spans()[1]?.resultPayload, { value: '[Unreadable: trap]' });
  t.match(tracer.stats(), { serializationFailures: 2, telemetryErrors: 0, spansStarted: 3, spansEnded: 3 });
  t.match(logger.messages('warn'), [/could not be read/, /could not be read/]);
});

t.test('a failure after the span was counted uncounts it; a sink that throws on spanEnded still closes the instance', async (t) => {
  const logger = recordingLogger();
  class FailingSink extends InMemorySink {
    failStart = false;
    override spanStarted(event: Parameters<InMemorySink['spanStarted']>[0]): void {
      if (this.failStart) throw new Error('sink start');
      super.spanStarted(event);
    }
    override spanEnded(): void {
      throw new Error('sink end');
    }
  }
  const sink = new FailingSink();
  const recorder = new Recorder(resolveTracerOptions({ sink, logger }, {}), sink);
  const instance = recorder.startInstance(undefined, undefined);
  const span = recorder.startSpan(undefined, 'step', { a: 1 }, instance, undefined)!;
  span.cancel();
  sink.failStart = true;
  recorder.startSpan(undefined, 'step', { a: 1 }, instance, undefined)!.cancel();
  const id = instance.id;
  Object.defineProperty(instance, 'id', { configurable: true, get: () => { throw new Error('no id'); } });
  t.throws(() => recorder.startSpan(undefined, 'step', {}, instance, undefined), /no id/);
  Object.defineProperty(instance, 'id', { value: id });
  instance[settle](OUTCOME_OK, undefined);
  t.match(sink.instances(), [{ status: 'complete' }], 'the instance finished: its open-span count is balanced');
  t.equal(recorder.counters().telemetryErrors, 3, 'two spanEnded throws, one spanStarted throw');
});

t.test('a payload larger than maxPayloadBytes is sent cut, counted, and said once per span type', async (t) => {
  const sink = new InMemorySink();
  const logger = recordingLogger();
  const tracer = new Tracer({ sink, logger, maxPayloadBytes: 2048 });
  t.teardown(() => tracer.shutdown());
  for (let i = 0; i < 3; i++) tracer.withSpan('big', { text: 'x'.repeat(10_000) }, () => ({ list: Array(5000).fill(1) }));
  t.equal(tracer.stats().payloadsTruncated, 6);
  const span = sink.spans()[0]!;
  t.match(span.payload, { text: /…\[\+\d+ chars\]$/, _prefactor_truncated: { maxPayloadBytes: 2048, stringsCut: 1 } });
  t.match(span.resultPayload, { list: Array, _prefactor_truncated: { itemsOmitted: Number } });
  t.equal(logger.messages('warn').filter((line) => /larger than maxPayloadBytes \(2048\)/.test(line)).length, 1);
});

t.test('Recorder.endSpan() of a span whose instance was finished first sends nothing and counts it', async (t) => {
  const sink = new InMemorySink();
  const recorder = new Recorder(resolveTracerOptions({ sink, logger: false }, {}), sink);
  const span = recorder.startSpan(undefined, 'open', {}, recorder.defaultInstance(), undefined)!;
  // finishDefaultInstance() alone (the tracer's shutdown() ends open spans first: see shutdown-unended.ts).
  recorder.finishDefaultInstance();
  span.cancel();
  t.equal(recorder.droppedAfterShutdown, 1);
  t.equal(sink.span(span.id)?.status, 'active');
});
