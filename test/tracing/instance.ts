import t from 'tap';
import { InstanceTerminatedError, NOOP_INSTANCE } from '../../src/tracing/instance.js';
import { memoryTracer } from '../fixtures/tracer.js';

t.test('InstanceTerminatedError is an AbortError with a stable code and what to do', async (t) => {
  const error = new InstanceTerminatedError('inst-1', 'budget');
  t.match(error, { name: 'AbortError', code: 'ERR_PREFACTOR_TERMINATED', instanceId: 'inst-1', reason: 'budget' });
  t.match(error.message, /inst-1 was terminated through Prefactor: budget\. Stop the agent's work\./);
});

t.test('NOOP_INSTANCE has no id and a signal that never aborts', async (t) => {
  t.equal(NOOP_INSTANCE.id, '');
  t.equal(NOOP_INSTANCE.signal.aborted, false);
});

t.test('an instance terminated after it finished is left alone', async (t) => {
  const calls: string[] = [];
  const { tracer, sink } = memoryTracer(t, { onTerminate: (id) => calls.push(id) });
  const instance = tracer.withInstance((current) => current);
  sink.terminate(instance.id, 'too late');
  t.equal(instance.signal.aborted, false);
  t.same(calls, []);
  t.equal(sink.instance(instance.id)?.status, 'complete');
});

t.test('an instance ending with an open stream finishes when the stream ends', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  async function* chunks() {
    yield 1;
  }
  const stream = tracer.withInstance(() => chunks());
  const id = sink.instances()[0]!.id;
  t.equal(sink.instance(id)?.status, 'active');
  for await (const _ of stream) void _;
  t.equal(sink.instance(id)?.status, 'complete');
});

t.test('an instance whose thenable is awaited twice finishes once', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const thenable = { then: (resolve: (value: number) => void) => resolve(1) };
  const returned = tracer.withInstance(() => thenable);
  t.equal(await returned, 1);
  t.equal(await returned, 1);
  t.equal(sink.instances()[0]?.status, 'complete');
  t.equal(tracer.stats().instancesFinished, 1);
});
