import t from 'tap';
import { SpanStatusCode, context, trace, type Span as OTelSpan } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { InMemorySink, Tracer, currentInstance, defineSpanType, init } from '../../../src/index.js';
import { PrefactorSpanProcessor } from '../../../src/integrations/otel/index.js';
import { find, named, withOTel } from '../../fixtures/otel.js';

const AI = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm1' };

/** `fn` in a new active OTel span, ended when fn's promise settles. */
function active<T>(name: string, fn: (span: OTelSpan) => Promise<T>, attributes: Record<string, string> = {}): Promise<T> {
  return trace.getTracer('test').startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } finally {
      span.end();
    }
  });
}

t.test('a raw OTel tracer nests across withSpan both ways: OTel -> withSpan -> OTel -> withSpan', async (t) => {
  const { sink, tracer, exporter } = withOTel(t);
  const instanceId = await tracer.withInstance(async (instance) => {
    await active('outer', () =>
      tracer.withSpan('step', () => active('inner', async () => tracer.withSpan('leaf', async () => 'done'))),
    AI);
    return instance.id;
  });
  t.same(named(sink.tree(instanceId)), [{ name: 'outer', children: [{ name: 'step', children: [{ name: 'inner', children: [{ name: 'leaf', children: [] }] }] }] }]);
  const [inner, outer] = exporter.getFinishedSpans();
  t.equal(inner!.name, 'inner');
  t.equal(inner!.spanContext().traceId, outer!.spanContext().traceId, 'the withSpan between them keeps the OTel trace');
  t.not(inner!.parentSpanContext?.spanId, outer!.spanContext().spanId, "inner's OTel parent is the withSpan span, not outer");
  t.equal(find(sink.tree(instanceId), 'outer')!.schemaName, 'otel:chat');
  t.equal(find(sink.tree(instanceId), 'inner')!.schemaName, 'otel:span', 'a plain span inside an instance is recorded as otel:span');
});

t.test('nested withSpans share one OTel trace; an OTel span inside has the innermost withSpan as its OTel parent', async (t) => {
  const { tracer, exporter } = withOTel(t);
  const ids = await tracer.withInstance(() =>
    tracer.withSpan('outer', () => {
      const outer = trace.getActiveSpan()!.spanContext();
      return tracer.withSpan('inner', async () => {
        const inner = trace.getActiveSpan()!.spanContext();
        await active('leaf', async () => {});
        return { outer, inner };
      });
    }),
  );
  const [leaf] = exporter.getFinishedSpans();
  t.equal(leaf!.parentSpanContext?.spanId, ids.inner.spanId);
  t.equal(leaf!.spanContext().traceId, ids.outer.traceId);
  t.equal(ids.inner.traceId, ids.outer.traceId);
  t.not(ids.inner.spanId, ids.outer.spanId);
  t.match(ids.outer.traceId, /^[0-9a-f]{32}$/);
  t.match(ids.inner.spanId, /^[0-9a-f]{16}$/);
  t.equal(ids.inner.traceFlags, 1, 'sampled, so that the spans opened inside are recorded');
});

t.test('withSpan where an OTel span is active in context, without a frame of its own, nests under it', async (t) => {
  const { sink, tracer } = withOTel(t);
  const otel = trace.getTracer('test');
  const instanceId = await tracer.withInstance(async (instance) => {
    const parent = otel.startSpan('manual', { attributes: AI });
    // Made active by the OTel API only: Prefactor's frame still says "top of the instance".
    await context.with(trace.setSpan(context.active(), parent), () => tracer.withSpan('child', async () => 1));
    parent.end();
    return instance.id;
  });
  t.same(named(sink.tree(instanceId)), [{ name: 'manual', children: [{ name: 'child', children: [] }] }]);
});

t.test('a span left out by the filter passes its place on: its children nest under the nearest recorded ancestor', async (t) => {
  const { sink, tracer } = withOTel(t, { filter: (span) => span.name !== 'skipped' });
  const instanceId = await tracer.withInstance(async (instance) => {
    await active('a', () => active('skipped', () => active('b', async () => tracer.withSpan('c', async () => 1))));
    return instance.id;
  });
  t.same(named(sink.tree(instanceId)), [{ name: 'a', children: [{ name: 'b', children: [{ name: 'c', children: [] }] }] }]);
});

t.test('spans of two concurrent instances never mix', async (t) => {
  const { sink, tracer } = withOTel(t);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const run = (label: string) =>
    tracer.withInstance(async (instance) => {
      await active(`${label}-root`, async () => {
        await gate;
        await active(`${label}-child`, async () => tracer.withSpan(`${label}:step`, async () => 1));
      }, AI);
      return instance.id;
    });
  const both = Promise.all([run('one'), run('two')]);
  release();
  const [one, two] = await both;
  t.same(named(sink.tree(one)), [{ name: 'one-root', children: [{ name: 'one-child', children: [{ name: 'one:step', children: [] }] }] }]);
  t.same(named(sink.tree(two)), [{ name: 'two-root', children: [{ name: 'two-child', children: [{ name: 'two:step', children: [] }] }] }]);
});

t.test('outside any instance: AI spans go to the default instance, other spans are left alone', async (t) => {
  const { sink, tracer } = withOTel(t);
  await active('plain http', async () => {});
  await active('llm call', async () => {}, AI);
  t.same(
    sink.spans().map((span) => span.payload['name']),
    ['llm call'],
  );
  t.equal(tracer.stats().spansStarted, 1);
});

t.test("filter: 'all' records every span; the OTel span's own times are kept", async (t) => {
  const { sink } = withOTel(t, { filter: 'all' });
  const span = trace.getTracer('test').startSpan('timed', { startTime: 1_700_000_000_000 });
  span.end(1_700_000_000_250);
  const [recorded] = sink.spans();
  t.equal(recorded?.startedAt, '2023-11-14T22:13:20.000Z');
  t.equal(recorded?.finishedAt, '2023-11-14T22:13:20.250Z');
  t.equal(recorded?.status, 'complete');
});

t.test('status and exception events: ERROR, or UNSET with an exception, fail the span with the error', async (t) => {
  const { sink, tracer } = withOTel(t, { filter: 'all' });
  const otel = trace.getTracer('test');
  const errored = otel.startSpan('errored');
  errored.recordException(new TypeError('bad input'));
  errored.setStatus({ code: SpanStatusCode.ERROR, message: 'it broke' });
  errored.end();
  const statusOnly = otel.startSpan('status only');
  statusOnly.setStatus({ code: SpanStatusCode.ERROR, message: 'it broke' });
  statusOnly.end();
  const unset = otel.startSpan('unset with exception');
  unset.recordException('plain string');
  unset.end();
  const ok = otel.startSpan('ok despite exception');
  ok.recordException(new Error('retried'));
  ok.setStatus({ code: SpanStatusCode.OK });
  ok.end();
  const byName = Object.fromEntries(sink.spans().map((span) => [span.payload['name'], span]));
  t.equal(byName['errored']?.status, 'failed');
  t.match(byName['errored']?.resultPayload, { error: { type: 'TypeError', message: 'bad input', stack: /TypeError: bad input/ } });
  t.same(byName['status only']?.resultPayload, { error: { message: 'it broke' } });
  t.equal(byName['unset with exception']?.status, 'failed');
  t.same(byName['unset with exception']?.resultPayload, { error: { message: 'plain string' } });
  t.equal(byName['ok despite exception']?.status, 'complete');
  t.equal(tracer.stats().spansEnded, 4);
});

t.test('map: custom span types and payloads, null drops a span, a throw is counted and the span is dropped', async (t) => {
  const query = defineSpanType({ name: 'db:query', params: z.object({ statement: z.string() }), result: z.object({ rows: z.number() }) });
  const { sink, tracer } = withOTel(
    t,
    {
      filter: 'all',
      map: (span) => {
        if (span.name === 'noise') return null;
        if (span.name === 'broken') throw new Error('mapper bug');
        return { spanType: query, payload: { statement: String(span.attributes['db.statement']) }, result: { rows: Number(span.attributes['db.rows'] ?? 0) } };
      },
    },
    { spanTypes: [query] },
  );
  const otel = trace.getTracer('test');
  const select = otel.startSpan('select', { attributes: { 'db.statement': 'SELECT 1' } });
  select.setAttribute('db.rows', 1);
  select.end();
  otel.startSpan('noise').end();
  otel.startSpan('broken').end();
  const spans = sink.spans();
  t.equal(spans.length, 1);
  t.equal(spans[0]?.schemaName, 'db:query');
  t.same(spans[0]?.payload, { statement: 'SELECT 1' });
  t.same(spans[0]?.resultPayload, { rows: 1 });
  t.equal(tracer.stats().telemetryErrors, 1);
});

t.test('map throwing at the end: the span ends without a result, the failure is counted', async (t) => {
  const { sink, tracer } = withOTel(t, {
    filter: 'all',
    map: (span) => {
      if (span.ended) throw new Error('late bug');
      return { spanType: 'custom' };
    },
  });
  trace.getTracer('test').startSpan('x').end();
  t.equal(sink.spans()[0]?.status, 'complete');
  t.same(sink.spans()[0]?.resultPayload, undefined);
  t.equal(tracer.stats().telemetryErrors, 1);
});

t.test("a payload its span type rejects (validatePayloads: 'throw') is counted and the span left out", async (t) => {
  const strict = defineSpanType({ name: 'strict', params: z.object({ n: z.number() }) });
  const { sink, tracer } = withOTel(t, { filter: 'all', map: () => ({ spanType: strict, payload: { n: 'not a number' } }) }, { spanTypes: [strict] });
  trace.getTracer('test').startSpan('x').end();
  t.equal(sink.spans().length, 0);
  t.equal(tracer.stats().payloadValidationFailures, 1);
  t.equal(tracer.stats().telemetryErrors, 0);
});

t.test('with the tracer option, spans inside another tracer\'s instance are left alone', async (t) => {
  const { sink } = withOTel(t);
  const other = new Tracer({ sink: new InMemorySink(), logger: false });
  t.teardown(() => other.shutdown());
  await other.withInstance(() => active('elsewhere', async () => {}, AI));
  t.equal(sink.spans().length, 0);
});

t.test('a span parented explicitly to a recorded span, started outside any frame, joins its instance', async (t) => {
  const { sink, tracer } = withOTel(t);
  const otel = trace.getTracer('test');
  let parent!: OTelSpan;
  const instanceId = await tracer.withInstance(async (instance) => {
    parent = otel.startSpan('parent', { attributes: AI });
    return instance.id;
  });
  // A callback from a pool, say: no Prefactor frame, an explicit OTel parent.
  const child = otel.startSpan('pool callback', {}, trace.setSpan(context.active(), parent));
  child.end();
  parent.end();
  t.same(named(sink.tree(instanceId)), [{ name: 'parent', children: [{ name: 'pool callback', children: [] }] }]);
});

t.test('an OTel parent in another instance is ignored: the span starts at the top of its own instance', async (t) => {
  const { sink, tracer } = withOTel(t);
  const otel = trace.getTracer('test');
  let parent!: OTelSpan;
  await tracer.withInstance(async () => {
    parent = otel.startSpan('in A', { attributes: AI });
  });
  const instanceB = await tracer.withInstance(async (instance) => {
    otel.startSpan('in B', { attributes: AI }, trace.setSpan(context.active(), parent)).end();
    // withSpan inside an OTel span of instance A, in instance B: the top of B too.
    await context.with(trace.setSpan(context.active(), parent), () => tracer.withSpan('step in B', async () => {}));
    return instance.id;
  });
  parent.end();
  t.same(named(sink.tree(instanceB)), [
    { name: 'in B', children: [] },
    { name: 'step in B', children: [] },
  ]);
});

t.test('withSpan under an OTel span that is not in Prefactor nests by the Prefactor context', async (t) => {
  const { sink, tracer } = withOTel(t);
  await active('plain, outside', () => tracer.withSpan('step', async () => {}));
  t.same(named(sink.tree(sink.instances()[0]!.id)), [{ name: 'step', children: [] }]);
});

t.test('without a tracer option, a span explicitly parented to a recorded span uses that span\'s tracer', async (t) => {
  const sink = new InMemorySink();
  const provider = new BasicTracerProvider({ spanProcessors: [new PrefactorSpanProcessor({ bridgeContext: false })] });
  const otel = provider.getTracer('test');
  const tracer = new Tracer({ sink, logger: false });
  t.teardown(async () => {
    await provider.shutdown();
    await tracer.shutdown();
  });
  let parent!: OTelSpan;
  const instanceId = tracer.withInstance((instance) => {
    parent = otel.startSpan('parent', { attributes: AI });
    return instance.id;
  });
  otel.startSpan('child', {}, trace.setSpan(context.active(), parent)).end();
  parent.end();
  t.same(named(sink.tree(instanceId)), [{ name: 'parent', children: [{ name: 'child', children: [] }] }]);
});

t.test('a failed span with a custom map and no result gets just the error', async (t) => {
  const { sink } = withOTel(t, { filter: 'all', map: (span) => (span.ended ? { spanType: 'custom', result: 'text' } : { spanType: 'custom' }) });
  const span = trace.getTracer('test').startSpan('x');
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'nope' });
  span.end();
  t.same(sink.spans()[0]?.resultPayload, { error: { message: 'nope' } });
});

t.test('after the tracer shut down, OTel spans are dropped and counted', async (t) => {
  const { sink, tracer } = withOTel(t);
  await tracer.shutdown();
  await active('late', async () => {}, AI);
  t.equal(sink.spans().length, 0);
  t.equal(tracer.stats().dropped.after_shutdown, 1);
});

t.test('bridgeContext: false leaves the OTel context alone; spans still nest by the Prefactor context', async (t) => {
  const { sink, tracer, exporter } = withOTel(t, { bridgeContext: false });
  const instanceId = await tracer.withInstance(async (instance) => {
    await tracer.withSpan('step', () => active('inside', async () => {}));
    return instance.id;
  });
  t.same(named(sink.tree(instanceId)), [{ name: 'step', children: [{ name: 'inside', children: [] }] }]);
  t.equal(exporter.getFinishedSpans()[0]?.parentSpanContext, undefined, 'no OTel parent: the withSpan span is not in the OTel context');
});

t.test('without a tracer option: the tracer of the context, else the global one, else nothing', async (t) => {
  const sink = new InMemorySink();
  const provider = new BasicTracerProvider({ spanProcessors: [new PrefactorSpanProcessor()] });
  const otel = provider.getTracer('test');
  t.teardown(() => provider.shutdown());
  otel.startSpan('before init', { attributes: AI }).end();
  const local = new Tracer({ sink, logger: false });
  t.teardown(() => local.shutdown());
  const instanceId = local.withInstance((instance) => {
    otel.startSpan('in context', { attributes: AI }).end();
    return instance.id;
  });
  t.same(sink.spans(instanceId).map((span) => span.payload['name']), ['in context']);
  const globalSink = new InMemorySink();
  const global = init({ sink: globalSink, logger: false });
  t.teardown(() => global.shutdown());
  otel.startSpan('after init', { attributes: AI }).end();
  t.same(globalSink.spans().map((span) => span.payload['name']), ['after init']);
  t.equal(sink.spans().length, 1, '"before init" went nowhere');
  const disabled = init({ enabled: false });
  otel.startSpan('disabled', { attributes: AI }).end();
  t.equal(globalSink.spans().length, 1);
  await disabled.shutdown();
});

t.test('the filter runs where the span starts: currentInstance() tells whether it is inside one', async (t) => {
  const seen: boolean[] = [];
  const { tracer } = withOTel(t, {
    filter: (span) => {
      seen.push(currentInstance() !== undefined);
      return false;
    },
  });
  await active('outside', async () => {});
  await tracer.withInstance(() => active('inside', async () => {}));
  t.same(seen, [false, true]);
});

t.test('forceFlush() flushes the tracer; shutdown() removes the context bridge', async (t) => {
  const { processor, tracer, exporter } = withOTel(t);
  await processor.forceFlush();
  await processor.shutdown();
  await tracer.withInstance(() => tracer.withSpan('step', () => active('inside', async () => {})));
  t.equal(exporter.getFinishedSpans()[0]?.parentSpanContext, undefined);
  const unconfigured = new PrefactorSpanProcessor({ bridgeContext: false });
  await unconfigured.forceFlush();
  await unconfigured.shutdown();
});

t.test('options are checked', async (t) => {
  t.throws(() => new PrefactorSpanProcessor({ tracer: {} as Tracer }), { code: 'ERR_PREFACTOR_CONFIG', message: /`tracer`/ });
  t.throws(() => new PrefactorSpanProcessor({ filter: 'some' as 'all' }), { message: /`filter`/ });
  t.throws(() => new PrefactorSpanProcessor({ map: 1 as never }), { message: /`map`/ });
  t.throws(() => new PrefactorSpanProcessor({ bridgeContext: 'yes' as never }), { message: /`bridgeContext`/ });
  t.throws(() => new PrefactorSpanProcessor({ exporter: true } as never), { message: /exporter/ });
});
