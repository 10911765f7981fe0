import t from 'tap';
import { getTracer, init, shutdown, withInstance, withSpan } from '../../src/tracing/global.js';
import { InMemorySink } from '../../src/sinks/memory-sink.js';
import { Tracer } from '../../src/tracing/tracer.js';
import { recordingLogger } from '../fixtures/delivery.js';

// In a file of its own: the "before init()" process warning is given once per process, so only a
// process that has not given it yet can show that a call after shutdown() does not give it.

const AFTER_SHUTDOWN = /^(withSpan|withInstance)\(\) was called after shutdown\(\): it runs untraced \(counted in stats\(\)\.dropped\.after_shutdown, as every later call\)\. Call shutdown\(\) once the traced work is done, or trace later work with a new Tracer$/;

t.test('the module-level API after shutdown() of the global tracer: untraced, counted, said once and right (never "before init()")', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const sink = new InMemorySink();
  const logger = recordingLogger();
  const tracer = init({ sink, logger });
  await withSpan('before', {}, async () => 1);
  t.equal(await shutdown(), true);
  t.equal(getTracer(), tracer, 'the global tracer stays (shut down)');
  t.equal(withSpan('after', {}, (span) => span.id), '', 'runs untraced');
  t.equal(withSpan('after', () => 2), 2);
  t.equal(withInstance((instance) => instance.id), '');
  t.equal(tracer.withSpan('after', {}, () => 3), 3);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(warnings, [], 'no process warning: init() was called');
  t.equal(logger.of('warn').length, 1, 'said once');
  t.match(logger.of('warn')[0], AFTER_SHUTDOWN);
  t.match(logger.of('warn')[0], /^withSpan\(\)/);
  t.equal(tracer.stats().dropped.after_shutdown, 4, 'every call counted');
  t.same(sink.spans().map((span) => span.schemaName), ['before']);
});

t.test('tracer.withInstance() and tracer.withSpan() after tracer.shutdown(): said once per tracer, by the call made', async (t) => {
  const logger = recordingLogger();
  const tracer = new Tracer({ sink: new InMemorySink(), logger });
  await tracer.shutdown();
  t.equal(tracer.withInstance(() => tracer.withSpan('x', {}, () => 1)), 1);
  t.equal(tracer.withSpan('y', {}, () => 2), 2);
  t.same(logger.of('warn').length, 1);
  t.match(logger.of('warn')[0], /^withInstance\(\) was called after shutdown\(\)/);
  t.equal(tracer.stats().dropped.after_shutdown, 3);
});
