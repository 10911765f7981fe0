import t from 'tap';
import { Recorder } from '../../src/tracing/recorder.js';
import { InMemorySink } from '../../src/sinks/memory-sink.js';
import { resolveTracerOptions } from '../../src/tracing/tracer-options.js';
import { recordingLogger } from '../fixtures/tracer.js';

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
    spansAfterInstanceFinished: 0,
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
