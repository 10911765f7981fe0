import t from 'tap';
import { installContextBridge, contextBridge, startExternalSpan, type ContextBridge } from '../../src/tracing/bridge.js';
import { Tracer } from '../../src/tracing/tracer.js';
import type { SpanType } from '../../src/tracing/span-types.js';
import { memoryTracer, shape } from '../fixtures/tracer.js';

t.test('startExternalSpan records a span with its own times, parent and instance, through the same sink and counters', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const ids = await tracer.withInstance(async (instance) => {
    const parent = tracer.withSpan('parent', (span) => span.id);
    const external = startExternalSpan(tracer, { spanType: 'external', payload: { a: 1 }, instance, parentId: parent, startedAtMs: 1_700_000_000_000 })!;
    t.equal(external.instance, instance);
    external.end('complete', { b: 2 }, false, 1_700_000_000_500);
    external.end('failed', undefined, true, 1_700_000_000_900);
    return { instance: instance.id, external: external.id };
  });
  t.same(shape(sink.tree(ids.instance)), [{ name: 'parent', children: [{ name: 'external', children: [] }] }]);
  const span = sink.span(ids.external)!;
  t.same([span.startedAt, span.finishedAt, span.status], ['2023-11-14T22:13:20.000Z', '2023-11-14T22:13:20.500Z', 'complete'], 'a second end() is ignored');
  t.same(span.resultPayload, { b: 2 });
  t.equal(tracer.stats().spansEnded, 2);
  t.equal(sink.instance(ids.instance)?.status, 'complete', 'the instance waited for the external span');
});

t.test('startExternalSpan: default instance, finished instance, bad span type, disabled and shut-down tracers', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t);
  const external = startExternalSpan(tracer, { spanType: 'outside', payload: undefined, instance: undefined, parentId: undefined, startedAtMs: Date.now() });
  t.equal(external?.instance.id, sink.instances()[0]?.id, 'no instance: the default one');
  const finished = tracer.withInstance((instance) => instance);
  t.equal(startExternalSpan(tracer, { spanType: 'late', payload: {}, instance: finished, parentId: undefined, startedAtMs: Date.now() }), undefined);
  t.equal(tracer.stats().spansAfterInstanceFinished, 1);
  t.equal(startExternalSpan(tracer, { spanType: null as unknown as SpanType, payload: {}, instance: undefined, parentId: undefined, startedAtMs: 0 }), undefined);
  t.equal(tracer.stats().telemetryErrors, 1);
  t.match(logger.messages('error'), [/recording an external span/]);
  t.equal(startExternalSpan(new Tracer({ enabled: false }), { spanType: 'x', payload: {}, instance: undefined, parentId: undefined, startedAtMs: 0 }), undefined);
  await tracer.shutdown();
  t.equal(startExternalSpan(tracer, { spanType: 'x', payload: {}, instance: undefined, parentId: undefined, startedAtMs: 0 }), undefined);
  t.equal(tracer.stats().dropped.after_shutdown, 1);
});

t.test('installContextBridge: withSpan asks the bridge for the parent and runs fn through it; removal restores the plain path', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const calls: string[] = [];
  const bridge: ContextBridge = {
    parentId: (_instance, frameParentId) => {
      calls.push(`parentId(${frameParentId === undefined ? 'none' : 'frame'})`);
      return frameParentId;
    },
    run: (span, _instance, fn) => {
      calls.push(`run(${span.name})`);
      return fn(span);
    },
  };
  const remove = installContextBridge(bridge);
  const other = installContextBridge({ ...bridge });
  remove();
  t.not(contextBridge, undefined, 'removing a replaced bridge leaves the new one');
  other();
  installContextBridge(bridge);
  t.teardown(remove);
  const value = tracer.withSpan('outer', () => tracer.withSpan('inner', () => 42));
  t.equal(value, 42);
  t.same(calls, ['parentId(none)', 'run(outer)', 'parentId(frame)', 'run(inner)']);
  remove();
  t.equal(contextBridge, undefined);
  tracer.withSpan('plain', () => 1);
  t.equal(calls.length, 4);
  t.same(shape(sink.tree(sink.instances()[0]!.id)), [
    { name: 'outer', children: [{ name: 'inner', children: [] }] },
    { name: 'plain', children: [] },
  ]);
});
