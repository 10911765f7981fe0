import t from 'tap';
import { continueFrom, init, propagationHeaders } from '../../src/tracing/global.js';
import { InMemorySink } from '../../src/sinks/memory-sink.js';
import type { SpanStartEvent } from '../../src/sinks/span-sink.js';
import { Tracer } from '../../src/tracing/tracer.js';
import { memoryTracer } from '../fixtures/tracer.js';

/** An InMemorySink that also keeps each span's `remote` flag. */
class RemoteAwareSink extends InMemorySink {
  readonly remote = new Map<string, boolean | undefined>();
  override spanStarted(span: SpanStartEvent): void {
    super.spanStarted(span);
    this.remote.set(span.id, span.remote);
  }
}

t.test('.continueFrom() runs fn under the caller\'s span, in the caller\'s instance, which it never registers', async (t) => {
  const caller = memoryTracer(t);
  const sink = new RemoteAwareSink();
  const receiver = memoryTracer(t, { sink });
  let headers: Record<string, string> = {};
  let callerSpan = '';
  const instance = await caller.tracer.withInstance(async (instance) => {
    await caller.tracer.withSpan('client:call', {}, async (span) => {
      callerSpan = span.id;
      headers = caller.tracer.propagationHeaders();
    });
    return instance;
  });
  t.match(headers, { traceparent: /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'prefactor-context': `v1;instance=${instance.id};span=${callerSpan};sampled=1` });

  const value = await receiver.tracer.continueFrom(headers, async () => {
    t.equal(receiver.tracer.currentSpan(), undefined, 'the caller\'s span is no span of this tracer');
    t.equal(receiver.tracer.currentInstance()?.id, instance.id);
    t.same(receiver.tracer.propagationHeaders(), headers, 'further calls carry the same context on');
    return receiver.tracer.withSpan('service:handle', { n: 1 }, () =>
      receiver.tracer.withSpan('service:lookup', {}, () => receiver.tracer.propagationHeaders()),
    );
  });
  const [handle, lookup] = sink.spans();
  t.match(handle, { instanceId: instance.id, parentId: callerSpan, schemaName: 'service:handle', status: 'complete' });
  t.match(lookup, { instanceId: instance.id, parentId: handle!.id, status: 'complete' });
  t.equal(value['prefactor-context'], `v1;instance=${instance.id};span=${lookup!.id};sampled=1`);
  t.same([...sink.remote.values()], [true, true], 'the spans are flagged remote for the delivery engine');
  t.same(sink.instances(), [], 'the receiver registers, starts and finishes nothing');
  t.match(receiver.tracer.stats(), { remoteContextsContinued: 1, instancesStarted: 0, instancesFinished: 0, spansStarted: 2, spansEnded: 2 });
});

t.test('.continueFrom() returns fn\'s value and rethrows its error unchanged', async (t) => {
  const { tracer } = memoryTracer(t);
  const headers = { 'prefactor-context': 'v1;instance=remote-1;span=span-1;sampled=1' };
  t.equal(tracer.continueFrom(headers, () => 42), 42);
  const error = new Error('mine');
  t.throws(() => tracer.continueFrom(headers, () => { throw error; }), error);
  await t.rejects(tracer.continueFrom(headers, async () => { throw error; }), error);
  const disabled = new Tracer({ enabled: false });
  t.equal(disabled.continueFrom(headers, () => 'untouched'), 'untouched');
  t.same(disabled.propagationHeaders(), {});
  await tracer.shutdown();
  t.equal(tracer.continueFrom(headers, () => 'after'), 'after', 'after shutdown fn just runs');
});

t.test('.propagationHeaders() is empty outside any span of this tracer', async (t) => {
  const { tracer } = memoryTracer(t);
  const other = memoryTracer(t).tracer;
  t.same(tracer.propagationHeaders(), {});
  tracer.withInstance(() => t.same(tracer.propagationHeaders(), {}, 'in an instance, outside any span'));
  other.withSpan('other', () => t.same(tracer.propagationHeaders(), {}, 'in another tracer\'s span'));
});

t.test('unusable headers are ignored: fn runs traced on its own, counted and warned about once per reason', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t);
  for (const headers of [{}, { 'prefactor-context': 'nonsense' }, { 'prefactor-context': 'nonsense' }, { 'prefactor-context': 'v9' }]) {
    tracer.continueFrom(headers, () => tracer.withSpan('local', () => 1));
  }
  t.equal(sink.spans().length, 4);
  t.ok(sink.spans().every((span) => span.parentId === undefined && span.instanceId === sink.instances()[0]!.id), 'all in the default instance');
  t.match(tracer.stats(), { remoteContextsIgnored: 3, remoteContextsContinued: 0 });
  t.same(logger.messages('warn').map((message) => /Ignored a (\w+)/.exec(message)?.[1]), ['malformed', 'foreign']);
});

t.test('an unsampled caller: the receiver records nothing and passes the decision on', async (t) => {
  const caller = memoryTracer(t, { sampleRate: 0 });
  const receiver = memoryTracer(t);
  const headers = caller.tracer.withInstance(() => caller.tracer.withSpan('client', () => caller.tracer.propagationHeaders()));
  t.match(headers, { traceparent: /-00$/, 'prefactor-context': /^v1;instance=[0-9a-z]+;sampled=0$/ });
  t.match(caller.tracer.withInstance(() => caller.tracer.propagationHeaders()), { 'prefactor-context': /sampled=0$/ }, 'even outside a span');
  const forwarded = receiver.tracer.continueFrom(headers, () => receiver.tracer.withSpan('service', (span) => {
    t.equal(span.id, '', 'an untraced span handle');
    return receiver.tracer.propagationHeaders();
  }));
  t.equal(forwarded['prefactor-context'], headers['prefactor-context']);
  t.same(receiver.sink.spans(), []);
  t.same(caller.sink.spans(), []);
  t.match(receiver.tracer.stats(), { remoteContextsContinued: 1, spansStarted: 0 });
});

t.test('the killswitch reaches a continued instance while it runs here', async (t) => {
  const terminated: string[] = [];
  const { tracer, sink } = memoryTracer(t, { onTerminate: (id) => terminated.push(id) });
  const headers = { 'prefactor-context': 'v1;instance=remote-1;span=span-1;sampled=1' };
  let release!: () => void;
  const running = tracer.continueFrom(headers, () => tracer.withSpan('work', () => {
    const signal = tracer.currentInstance()!.signal;
    return new Promise<AbortSignal>((resolve) => {
      release = () => resolve(signal);
    });
  }));
  const other = tracer.continueFrom(headers, () => tracer.currentInstance()!.signal);
  sink.terminate('remote-1', 'stop');
  release();
  const signal = await running;
  t.equal(signal.aborted, true);
  t.match(signal.reason, { code: 'ERR_PREFACTOR_TERMINATED', reason: 'stop' });
  t.equal(other.aborted, false, 'a continueFrom that had already finished is not reached');
  t.same(terminated, ['remote-1']);
  sink.terminate('remote-1', 'again');
  t.same(terminated, ['remote-1'], 'once finished here, nothing is left to terminate');
});

t.test('module-level propagationHeaders() and continueFrom() use the current or global tracer', async (t) => {
  t.same(propagationHeaders(), {}, 'no tracer: empty');
  t.equal(continueFrom({}, () => 'no tracer'), 'no tracer');
  const sink = new InMemorySink();
  const tracer = init({ sink, logger: false });
  t.teardown(() => tracer.shutdown());
  const headers = tracer.withSpan('caller', () => propagationHeaders());
  t.match(headers, { 'prefactor-context': /^v1;/ });
  continueFrom(headers, () => tracer.withSpan('callee', () => 1));
  const [caller, callee] = sink.spans();
  t.equal(callee!.parentId, caller!.id);
});
