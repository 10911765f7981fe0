import t from 'tap';
import { z } from 'zod';
import { isPrefactorId, partitionOf, generateId } from '../../src/util/ids.js';
import { InstanceTerminatedError } from '../../src/tracing/instance.js';
import type { SpanSink } from '../../src/sinks/span-sink.js';
import { InMemorySink } from '../../src/sinks/memory-sink.js';
import { PayloadValidationError, defineSpanType } from '../../src/tracing/span-types.js';
import { Tracer } from '../../src/tracing/tracer.js';
import { memoryTracer, recordingLogger, shape } from '../fixtures/tracer.js';
import { withServer } from '../fixtures/server.js';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const llm = defineSpanType({
  name: 'agent:llm',
  title: 'LLM call',
  params: z.object({ model: z.string(), prompt: z.string() }),
  result: z.object({ text: z.string() }),
});

/** What `fn` throws (fails the test when it does not throw). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

class Boom extends Error {
  override name = 'Boom';
}

t.test('.withSpan() returns a sync value unchanged and synchronously', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const value = { answer: 42 };
  const returned = tracer.withSpan('sync', { a: 1 }, () => value);
  t.equal(returned, value, 'the same object, not a promise');
  const [span] = sink.spans();
  t.equal(span?.status, 'complete');
  t.same(span?.payload, { a: 1 });
  t.same(span?.resultPayload, { answer: 42 });
  t.match(span?.startedAt, ISO_MS);
  t.match(span?.finishedAt, ISO_MS);
});

t.test('.withSpan() rethrows the same error object and ends the span failed with {error}', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const error = new Boom('sync failure');
  t.equal(thrownBy(() => tracer.withSpan('sync', {}, () => { throw error; })), error);
  const asyncError = new Boom('async failure');
  t.equal(await tracer.withSpan('async', {}, async () => { throw asyncError; }).catch((thrown: unknown) => thrown), asyncError);
  const thrownString = 'a string';
  t.equal(thrownBy(() => tracer.withSpan('string', {}, () => { throw thrownString; })), thrownString);
  const [syncSpan, asyncSpan, stringSpan] = sink.spans();
  t.equal(syncSpan?.status, 'failed');
  t.same(syncSpan?.resultPayload, { error: { type: 'Boom', message: 'sync failure', stack: error.stack } });
  t.equal(asyncSpan?.status, 'failed');
  t.same(asyncSpan?.resultPayload, { error: { type: 'Boom', message: 'async failure', stack: asyncError.stack } });
  t.same(stringSpan?.resultPayload, { error: { type: 'string', message: 'a string' } });
});

t.test('.withSpan() resolves the same value object from an async fn', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const value = { text: 'hi' };
  t.equal(await tracer.withSpan('async', {}, async () => value), value);
  t.equal(sink.spans()[0]?.status, 'complete');
});

t.test('.withSpan() ends a span cancelled on an AbortError', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const controller = new AbortController();
  controller.abort();
  await t.rejects(tracer.withSpan('aborted', {}, async () => controller.signal.throwIfAborted()), { name: 'AbortError' });
  t.equal(sink.spans()[0]?.status, 'cancelled');
  t.equal((sink.spans()[0]?.resultPayload?.['error'] as { type: string }).type, 'AbortError');
});

t.test('.withSpan() result payload: setResult wins, then a plain object, then {value}, none for undefined', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  tracer.withSpan('set', {}, (span) => {
    span.setResult({ chosen: true });
    return { ignored: true };
  });
  tracer.withSpan('object', {}, () => ({ plain: 1 }));
  tracer.withSpan('string', {}, () => 'text');
  tracer.withSpan('array', {}, () => [1, 2]);
  tracer.withSpan('undefined', {}, () => undefined);
  tracer.withSpan('no-payload', () => 1);
  t.same(
    sink.spans().map((span) => [span.schemaName, span.resultPayload]),
    [
      ['set', { chosen: true }],
      ['object', { plain: 1 }],
      ['string', { value: 'text' }],
      ['array', { value: [1, 2] }],
      ['undefined', undefined],
      ['no-payload', { value: 1 }],
    ],
  );
  t.same(sink.spans()[5]?.payload, {}, 'withSpan(name, fn) sends an empty payload');
});

t.test('.withSpan() parses the result with the span type\'s result schema', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t, { spanTypes: [llm] });
  tracer.withSpan(llm, { model: 'm', prompt: 'p' }, () => ({ text: 'ok', extra: 'stripped by the schema' }));
  tracer.withSpan(llm, { model: 'm', prompt: 'p' }, () => ({ text: 42 }));
  t.same(sink.spans()[0]?.resultPayload, { text: 'ok' });
  t.same(sink.spans()[1]?.resultPayload, { text: 42 }, 'a mismatch is sent as is');
  t.equal(tracer.stats().payloadValidationFailures, 1);
  t.match(logger.messages('warn'), [/result of span type "agent:llm" does not match its result schema/]);
});

t.test('a span type defined with validate: false is not checked at run time, and its schemas are still registered', async (t) => {
  const unchecked = defineSpanType({ name: 'agent:built', params: z.object({ model: z.string() }), result: z.object({ text: z.string() }), validate: false });
  const { tracer, sink, logger } = memoryTracer(t, { spanTypes: [unchecked], validatePayloads: 'throw' });
  const value = tracer.withSpan(unchecked, { model: 1 } as never, () => ({ text: 2, extra: true }) as never);
  t.same(value, { text: 2, extra: true }, "fn ran: validatePayloads 'throw' did not refuse the payload");
  t.same(sink.spans()[0]?.payload, { model: 1 });
  t.same(sink.spans()[0]?.resultPayload, { text: 2, extra: true }, 'the result as returned, not parsed');
  t.equal(tracer.stats().payloadValidationFailures, 0);
  t.same(logger.lines, []);
  t.match(unchecked.schemaEntry(), { params_schema: { properties: { model: { type: 'string' } } }, result_schema: { properties: { text: { type: 'string' } } } });
});

t.test('.withSpan() captures the payload as it was when the span started', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const payload = { items: ['a'] };
  await tracer.withSpan('mutated', payload, async () => {
    payload.items.push('b');
  });
  t.same(sink.spans()[0]?.payload, { items: ['a'] });
});

t.test('validatePayloads: warn counts, logs and sends; throw throws before fn; off skips', async (t) => {
  const warn = memoryTracer(t, { spanTypes: [llm] });
  t.equal(warn.tracer.withSpan(llm, { model: 1 } as never, () => 'ran'), 'ran');
  warn.sink.clear();
  warn.tracer.withSpan(llm, { model: 1 } as never, () => ({ text: 'fine' }));
  t.same(warn.sink.spans()[0]?.payload, { model: 1 });
  t.equal(warn.tracer.stats().payloadValidationFailures, 3, 'twice the payload, once the result \'ran\'');
  t.match(warn.logger.lines[0], { level: 'warn', message: /payload of span type "agent:llm" does not match/, details: { issues: /model/ } });

  const strict = memoryTracer(t, { spanTypes: [llm], validatePayloads: 'throw' });
  let ran = false;
  const rejected = thrownBy(() => strict.tracer.withSpan(llm, { model: 1 } as never, () => (ran = true)));
  t.type(rejected, PayloadValidationError);
  t.match(rejected, { spanType: 'agent:llm', code: 'ERR_PREFACTOR_PAYLOAD', message: /"agent:llm" does not match its params schema: model: .*; prompt: / });
  t.equal(ran, false);
  t.equal(strict.sink.spans().length, 0);
  t.equal(strict.tracer.stats().payloadValidationFailures, 1);
  strict.tracer.withSpan(llm, { model: 'm', prompt: 'p' }, () => ({ text: 1 }));
  t.match(strict.logger.messages('error'), [/result schema/], 'a result mismatch is reported at error level');

  const off = memoryTracer(t, { spanTypes: [llm], validatePayloads: 'off' });
  off.tracer.withSpan(llm, { model: 1 } as never, () => ({ text: 1, extra: true }));
  t.equal(off.tracer.stats().payloadValidationFailures, 0);
  t.same(off.sink.spans()[0]?.resultPayload, { text: 1, extra: true }, 'no result parsing');
});

t.test('a schema that throws while validating is reported, never thrown', async (t) => {
  const throwing = defineSpanType({
    name: 'throwing',
    params: z.object({}).refine(() => { throw new Error('refine blew up'); }),
    result: z.object({}).refine(() => { throw new Error('refine blew up'); }),
  });
  const { tracer, sink, logger } = memoryTracer(t, { spanTypes: [throwing] });
  t.same(tracer.withSpan(throwing, {}, () => ({ a: 1 })), { a: 1 });
  t.same(sink.spans()[0]?.resultPayload, { a: 1 });
  t.equal(tracer.stats().payloadValidationFailures, 2);
  t.match(logger.lines.map((line) => line.details?.['issues']), [/refine blew up/, /refine blew up/]);
});

t.test('telemetry failures never reach user code: a sink that throws everywhere', async (t) => {
  const broken = new Error('sink down');
  const fail = (): never => { throw broken; };
  const sink: SpanSink = {
    registerInstance: fail,
    startInstance: fail,
    finishInstance: fail,
    spanStarted: fail,
    spanEnded: fail,
    flush: fail,
    shutdown: () => Promise.reject(broken),
    setTerminateHandler: fail,
    stats: fail,
  };
  const logger = recordingLogger();
  const tracer = new Tracer({ sink, logger });
  const value = await tracer.withInstance(() => tracer.withSpan('s', {}, async () => tracer.withSpan('t', {}, () => 7)));
  t.equal(value, 7);
  t.equal(await tracer.flush(), false);
  t.equal(await tracer.shutdown(), false);
  const stats = tracer.stats();
  // setTerminateHandler, register, start, 2 x spanStarted, 2 x spanEnded, finishInstance, flush, shutdown, stats
  t.equal(stats.telemetryErrors, 11, 'every failure counted');
  t.equal(stats.spansStarted, 2);
  t.ok(logger.messages('error').every((message) => message.includes('sink down')));
});

t.test('a payload or result part that cannot be read is sent as a marker and counted', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t);
  const hostile = new Proxy({}, { ownKeys: () => { throw new Error('no keys'); }, getPrototypeOf: () => Object.prototype });
  t.equal(tracer.withSpan('hostile', { hostile, big: 1n }, () => ({ hostile, big: 1n })).big, 1n);
  t.same(sink.spans()[0]?.payload, { hostile: '[Unreadable: no keys]', big: '1' });
  t.same(sink.spans()[0]?.resultPayload, { hostile: '[Unreadable: no keys]', big: '1' });
  t.equal(tracer.stats().serializationFailures, 2);
  t.match(logger.messages('warn'), [/"hostile" could not be read/, /"hostile" could not be read/]);
});

t.test('a sink throwing a value that cannot be described is still counted and logged', async (t) => {
  const sink = new InMemorySink();
  sink.spanStarted = () => {
    throw { toString: () => { throw new Error('no description'); } };
  };
  const logger = recordingLogger();
  const tracer = new Tracer({ sink, logger });
  t.teardown(() => tracer.shutdown());
  t.equal(tracer.withSpan('s', {}, () => 1), 1);
  t.equal(tracer.stats().telemetryErrors, 1);
  t.match(logger.messages('error'), [/spanStarted\(\); tracing goes on: an undescribable value/]);
});

t.test('a failure inside the tracer runs fn untraced and is counted', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t);
  t.equal(tracer.withSpan(42 as never, {}, () => 'still runs'), 'still runs');
  t.equal(sink.spans().length, 0);
  t.equal(tracer.stats().telemetryErrors, 1);
  t.match(logger.messages('error'), [/withSpan\(\)/]);
});

t.test('.withInstance() registers the span types, starts, and finishes complete/failed/cancelled', async (t) => {
  const { tracer, sink } = memoryTracer(t, {
    spanTypes: [llm],
    agentId: 'my-agent',
    agentVersion: { name: 'v', external_identifier: 'v1', description: 'first' },
    environmentId: 'env-1',
  });
  const complete = await tracer.withInstance({ purpose: 'demo' }, async (instance) => {
    t.equal(tracer.currentInstance(), instance);
    t.equal(sink.instance(instance.id)?.status, 'active');
    return instance.id;
  });
  const failure = new Boom('agent failed');
  let failedId = '';
  t.equal(thrownBy(() => tracer.withInstance((instance) => { failedId = instance.id; throw failure; })), failure);
  let cancelledId = '';
  await t.rejects(
    tracer.withInstance({ id: generateId() }, async (instance) => {
      cancelledId = instance.id;
      throw new DOMException('stop', 'AbortError');
    }),
    { name: 'AbortError' },
  );
  const [first, second, third] = sink.instances();
  t.match(first, {
    id: complete,
    agentId: 'my-agent',
    agentVersion: { name: 'v', external_identifier: 'v1', description: 'first' },
    environmentId: 'env-1',
    purpose: 'demo',
    status: 'complete',
    startedAt: ISO_MS,
    finishedAt: ISO_MS,
  });
  t.match(first?.agentSchemaVersion, { external_identifier: /^schema-[0-9a-f]{16}$/, span_type_schemas: [{ name: 'agent:llm', title: 'LLM call' }] });
  t.same([second?.id, second?.status], [failedId, 'failed']);
  t.same([third?.id, third?.status], [cancelledId, 'cancelled']);
  t.equal(tracer.stats().instancesFinished, 3);
});

t.test('.withInstance() waits for spans still open, then finishes; later spans run untraced', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t);
  let release!: () => void;
  const outliving = new Promise<void>((resolve) => (release = resolve));
  let leak!: () => number;
  const id = await tracer.withInstance(async (instance) => {
    void tracer.withSpan('outlives-fn', {}, () => outliving);
    leak = tracer.bind(() => tracer.withSpan('too-late', {}, () => 5));
    return instance.id;
  });
  t.equal(sink.instance(id)?.status, 'active', 'fn is done but a span is open');
  release();
  await outliving;
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(sink.instance(id)?.status, 'complete');
  t.equal(leak(), 5, 'a span in a finished instance still runs fn');
  t.equal(sink.spans().length, 1);
  t.equal(tracer.stats().spansAfterInstanceFinished, 1);
  t.match(logger.messages('warn'), [/after its agent instance finished/]);
});

t.test('killswitch: the instance signal aborts with the reason and onTerminate is called once', async (t) => {
  const calls: [string, string][] = [];
  const { tracer, sink } = memoryTracer(t, {
    onTerminate: (instanceId, reason) => {
      calls.push([instanceId, reason]);
      throw new Error('user callback failed');
    },
  });
  const id = await tracer.withInstance(async (instance) => {
    const aborted = new Promise((resolve) => instance.signal.addEventListener('abort', resolve));
    sink.terminate(instance.id, 'budget exceeded');
    sink.terminate(instance.id, 'again');
    sink.terminate('unknown-instance', 'ignored');
    await aborted;
    t.ok(instance.signal.reason instanceof InstanceTerminatedError);
    t.match(instance.signal.reason, { name: 'AbortError', code: 'ERR_PREFACTOR_TERMINATED', reason: 'budget exceeded', instanceId: instance.id });
    t.equal(tracer.currentInstance()?.signal.aborted, true);
    return instance.id;
  });
  t.same(calls, [[id, 'budget exceeded']]);
  t.equal(sink.instance(id)?.status, 'cancelled', 'a terminated instance finishes cancelled');
  t.equal(tracer.stats().telemetryErrors, 1, 'the throwing onTerminate is counted');
  const stopped = await tracer.withInstance(async (instance) => {
    sink.terminate(instance.id, 'stop');
    instance.signal.throwIfAborted();
  }).catch((error: unknown) => error);
  t.type(stopped, InstanceTerminatedError);
});

t.test('spans outside any instance go to a default instance, registered lazily and finished by shutdown()', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  t.equal(sink.instances().length, 0);
  const outer = tracer.withSpan('first', {}, (span) => span.instanceId);
  tracer.withSpan('second', {}, () => undefined);
  t.equal(sink.instances().length, 1);
  t.same(sink.spans().map((span) => span.instanceId), [outer, outer]);
  t.equal(sink.instance(outer)?.status, 'active');
  let release!: () => void;
  const open = tracer.withSpan('open-at-shutdown', {}, () => new Promise<void>((resolve) => (release = resolve)));
  t.equal(await tracer.shutdown(), true);
  // A span still open at shutdown is ended `cancelled` then, and its instance with it (shutdown-unended.ts).
  t.equal(sink.instance(outer)?.status, 'cancelled');
  t.match(sink.spans()[2], { status: 'cancelled', resultPayload: { reason: 'shutdown' } });
  release();
  await open;
  t.equal(sink.spans()[2]?.status, 'cancelled', 'the later end changes nothing');
  t.equal(tracer.stats().dropped.after_shutdown, 0);
  t.equal(tracer.stats().spansCancelledAtShutdown, 1);
});

t.test('ids are in the API format, with the agent\'s partition when agentId is a Prefactor id', async (t) => {
  const agentId = generateId(12345);
  const { tracer, sink } = memoryTracer(t, { agentId });
  tracer.withInstance(() => tracer.withSpan('s', {}, () => tracer.withSpan('child', {}, () => 1)));
  const [parent, child] = sink.spans();
  for (const id of [sink.instances()[0]!.id, parent!.id, child!.id]) {
    t.ok(isPrefactorId(id), id);
    t.equal(partitionOf(id), 12345);
  }
  t.equal(child?.parentId, parent?.id);
  t.equal(parent?.parentId, undefined);
  const other = memoryTracer(t);
  t.ok(isPrefactorId(other.tracer.withSpan('s', {}, (span) => span.id)));
});

t.test('.shutdown() is idempotent; later spans and instances run untraced and are counted', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const first = tracer.shutdown({ timeoutMs: 100 });
  t.equal(tracer.shutdown(), first, 'the same promise');
  t.equal(await first, true);
  t.equal(tracer.withSpan('late', {}, (span) => span.id), '');
  t.equal(tracer.withInstance((instance) => instance.id), '');
  t.equal(sink.spans().length, 0);
  t.equal(sink.instances().length, 0);
  t.equal(tracer.stats().dropped.after_shutdown, 2);
});

t.test('.flush() resolves the sink\'s answer, false on timeout or failure, and never rejects', async (t) => {
  const { tracer } = memoryTracer(t);
  t.equal(await tracer.flush(), true);
  t.equal(await tracer.flush({ timeoutMs: 10 }), true);
  t.equal(await tracer.flush({}), true);
  const hanging = new InMemorySink();
  hanging.flush = () => new Promise<boolean>(() => {});
  const stalled = new Tracer({ sink: hanging, logger: false });
  t.teardown(() => stalled.shutdown({ timeoutMs: 1 }));
  // The tracer's own timers are unref()ed: keep the loop alive while waiting on them.
  const keepAlive = setInterval(() => {}, 1000);
  t.equal(await stalled.flush({ timeoutMs: 1 }), false);
  clearInterval(keepAlive);
  const syncAnswer = new InMemorySink();
  syncAnswer.flush = (() => true) as never;
  const odd = new Tracer({ sink: syncAnswer, logger: false });
  t.teardown(() => odd.shutdown());
  t.equal(await odd.flush(), true, 'a sink answering without a promise still works');
});

t.test('.flush(), .shutdown() and .withInstance() never throw on bad options: reported, then the defaults', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t);
  t.equal(await tracer.flush({ timeoutMs: -1 }), true);
  t.equal(await tracer.flush({ timeout: 1 } as never), true);
  t.equal(await tracer.flush('soon' as never), true);
  const id = tracer.withInstance({ id: '', purpose: 5, color: 'red' } as never, (instance) => instance.id);
  t.equal(sink.instance(id)?.purpose, undefined, 'the instance runs, without the bad options');
  t.not(id, '');
  t.equal(tracer.withInstance(null as never, () => 3), 3);
  t.equal(await tracer.shutdown({ timeoutMs: Number.NaN }), true);
  t.match(logger.messages('error'), [/timeoutMs/, /Unknown option `timeout`/, /flush\/shutdown/, /Unknown option `color`/, /`id`/, /`purpose`/, /withInstance/, /timeoutMs/]);
  t.equal(tracer.stats().telemetryErrors, 8);
});

t.test('.flush() and .shutdown() resolve true only when everything was delivered', async (t) => {
  const sink = new InMemorySink();
  const dropped = { queue_overflow: 0, rejected_by_server: 0, dependency_dropped: 0, shutdown_timeout: 0, after_shutdown: 0, serialization: 0 };
  Object.assign(sink, { stats: () => ({ operationsEnqueued: 0, operationsSent: 0, operationsRetried: 0, operationsCoalesced: 0, batchesSent: 0, requestsSent: 0, dropped: { ...dropped }, queued: 0, inFlight: 0, bytesHeld: 0 }) });
  const tracer = new Tracer({ sink, logger: false });
  t.equal(await tracer.flush(), true, 'nothing dropped');
  dropped.rejected_by_server = 3;
  t.equal(await tracer.flush(), false, 'operations were rejected since the last flush');
  t.equal(await tracer.flush(), true, 'nothing new was dropped');
  dropped.after_shutdown = 5;
  t.equal(await tracer.flush(), true, 'what arrives after shutdown is not what a flush waits for');
  dropped.shutdown_timeout = 1;
  t.equal(await tracer.shutdown(), false);
});

t.test('.stats() merges the tracer counters with the sink\'s', async (t) => {
  const sink = new InMemorySink();
  const dropped = { queue_overflow: 2, rejected_by_server: 0, dependency_dropped: 0, shutdown_timeout: 0, after_shutdown: 1, serialization: 0 };
  Object.assign(sink, { stats: () => ({ operationsEnqueued: 5, operationsSent: 4, operationsRetried: 1, operationsCoalesced: 0, batchesSent: 1, requestsSent: 2, dropped, queued: 1, inFlight: 0, bytesHeld: 10 }) });
  const tracer = new Tracer({ sink, logger: false });
  tracer.withSpan('s', {}, () => 1);
  await tracer.shutdown();
  tracer.withSpan('after', {}, () => 1);
  t.match(tracer.stats(), { operationsEnqueued: 6, spansStarted: 1, spansEnded: 1, instancesStarted: 1, dropped: { queue_overflow: 2, after_shutdown: 2 } });
});

t.test('a disabled tracer (no sink, no config) runs fn at once and records nothing', async (t) => {
  const saved = { ...process.env };
  t.teardown(() => {
    process.env = saved;
  });
  for (const key of ['PREFACTOR_API_URL', 'PREFACTOR_API_TOKEN', 'PREFACTOR_AGENT_ID']) delete process.env[key];
  const tracer = new Tracer({ logger: false });
  t.equal(tracer.enabled, false);
  const value = {};
  t.equal(tracer.withSpan('s', {}, (span) => {
    span.setResult(1 as never);
    span.cancel();
    t.equal(span.ended, true);
    return value;
  }), value);
  t.equal(tracer.withSpan('two-args', () => 2), 2);
  t.equal(tracer.withInstance((instance) => instance.signal.aborted), false);
  t.equal(await tracer.flush(), true);
  const shutdown = tracer.shutdown();
  t.equal(tracer.shutdown(), shutdown);
  t.equal(await shutdown, true);
  t.equal(tracer.stats().spansStarted, 0);
  t.equal(tracer.stats().dropped.after_shutdown, 0);
  t.equal(new Tracer({ sink: new InMemorySink(), enabled: false, logger: false }).enabled, false);
});

t.test('a tracer with apiUrl/apiToken/agentId delivers to the API through the delivery engine', async (t) => {
  const server = await withServer(t);
  const tracer = new Tracer({
    apiUrl: server.url,
    apiToken: server.token,
    agentId: generateId(),
    logger: false,
    spanTypes: [llm],
    flushIntervalMs: 5,
    maxRetries: 0,
  });
  t.teardown(() => tracer.shutdown());
  const id = await tracer.withInstance(async (instance) => {
    await tracer.withSpan(llm, { model: 'm', prompt: 'p' }, async () => tracer.withSpan('agent:tool', {}, () => ({ text: 'x' })));
    return instance.id;
  });
  t.equal(await tracer.flush({ timeoutMs: 5000 }), true);
  const spans = server.spans(id) as { schema_name: string; status: string }[];
  t.same(spans.map((span) => [span.schema_name, span.status]).sort(), [['agent:llm', 'complete'], ['agent:tool', 'complete']]);
  t.ok(tracer.stats().operationsSent > 0);
  const terminated: string[] = [];
  const killed = await tracer.withInstance(async (instance) => {
    await tracer.withSpan('agent:tool', {}, () => tracer.flush({ timeoutMs: 5000 }));
    server.terminate(instance.id, 'stopped from the dashboard');
    const aborted = new Promise((resolve) => instance.signal.addEventListener('abort', resolve));
    tracer.withSpan('agent:tool', {}, () => 1);
    await aborted;
    terminated.push((instance.signal.reason as InstanceTerminatedError).reason);
    return instance.id;
  });
  t.same(terminated, ['stopped from the dashboard'], 'the killswitch reached the instance over HTTP');
  t.equal(await tracer.shutdown(), true);
  t.match(server.instances().find((instance: { id: string }) => instance.id === killed), { status: /cancelled|terminated/ });
});

t.test('shape() of a default-instance tree is in start order', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  tracer.withSpan('a', {}, () => tracer.withSpan('b', {}, () => 1));
  t.same(shape(sink.tree(sink.instances()[0]!.id), true), [{ name: 'a', status: 'complete', children: [{ name: 'b', status: 'complete', children: [] }] }]);
});

t.test('a tracer with only apiUrl and apiToken (a deployment-scoped token) registers without agent_id and delivers', async (t) => {
  const server = await withServer(t, { token: 'deployment-token', agentId: 'agent-of-token', agentDeploymentId: 'deployment-1' });
  const tracer = new Tracer({ apiUrl: server.url, apiToken: 'deployment-token', logger: false, flushIntervalMs: 5, maxRetries: 0 });
  t.teardown(() => tracer.shutdown());
  t.equal(tracer.enabled, true);
  const id = await tracer.withInstance(async (instance) => {
    await tracer.withSpan('agent:tool', { q: 1 }, () => ({ text: 'x' }));
    return instance.id;
  });
  t.equal(await tracer.flush({ timeoutMs: 5000 }), true);
  t.match(server.instance(id), { agent_id: 'agent-of-token', agent_deployment_id: 'deployment-1', status: 'complete' });
  t.match(server.spans(id), [{ schema_name: 'agent:tool', status: 'complete', payload: { q: 1 } }]);
});

t.test('a typed span whose type is missing from spanTypes is warned about once per type, and still traced', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t, { spanTypes: [] });
  const other = defineSpanType({ name: 'agent:other' });
  tracer.withSpan(llm, { model: 'm', prompt: 'p' }, () => ({ text: 'x' }));
  tracer.withSpan(llm, { model: 'm', prompt: 'p' }, () => ({ text: 'y' }));
  tracer.withSpan(other, {}, () => undefined);
  tracer.withSpan('agent:untyped', {}, () => undefined);
  t.equal(sink.spans().length, 4);
  t.match(logger.lines, [
    { level: 'warn', message: /^Span type "agent:llm" is used but is not in the Tracer's `spanTypes`/, details: { spanType: 'agent:llm' } },
    { level: 'warn', message: /^Span type "agent:other" is used/ },
  ]);
  t.equal(logger.lines.length, 2, 'once per type; a plain name is not a span type');
});
