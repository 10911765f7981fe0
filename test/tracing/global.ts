import t from 'tap';
import { EventEmitter } from 'node:events';
import { bind, bindEmitter, currentInstance, currentSpan, flush, getTracer, init, shutdown, traced, withInstance, withSpan } from '../../src/tracing/global.js';
import { InMemorySink } from '../../src/sinks/memory-sink.js';
import { Tracer } from '../../src/tracing/tracer.js';

t.test('withSpan() with no tracer at all runs fn untraced and warns once', async (t) => {
  t.equal(getTracer(), undefined);
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  t.equal(withSpan('untraced', {}, (span) => span.id), '');
  t.equal(withSpan('untraced', () => 2), 2);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(warnings.length, 1);
  t.match(warnings[0], { code: 'PREFACTOR_NO_TRACER', message: /before init\(\)/ });
  t.equal(currentSpan(), undefined);
  t.equal(currentInstance(), undefined);
  t.equal(withInstance((instance) => instance.id), '', 'withInstance() runs untraced too');
  t.equal(withInstance({ id: 'x' }, () => 3), 3);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(warnings.length, 1, 'still warned once');
  t.equal(await flush(), true);
  t.equal(await shutdown(), true);
});

t.test('init() makes the global tracer used by withSpan(), traced(), currentSpan() and currentInstance()', async (t) => {
  const sink = new InMemorySink();
  const tracer = init({ sink, logger: false });
  t.teardown(() => tracer.shutdown());
  t.equal(getTracer(), tracer);
  const add = traced('math:add', (a: number, b: number) => {
    t.equal(currentSpan()?.name, 'math:add');
    return a + b;
  });
  const search = traced('agent:tool', async function (this: { prefix: string }, query: string) {
    return `${this.prefix}${query}`;
  }, { payload: (query) => ({ query }) });
  const failing = traced('bad-payload', () => 1, { payload: () => { throw new Error('mapper failed'); } });
  const failingPlain = traced('bad-payload', () => 1, { payload: () => { throw 'plain'; } });
  await withSpan('root', { a: 1 }, async (span) => {
    t.equal(currentSpan(), span);
    t.equal(currentInstance()?.id, span.instanceId);
    t.equal(add(2, 3), 5);
    t.equal(await search.call({ prefix: '> ' }, 'docs'), '> docs');
    t.equal(failing(), 1);
    t.equal(failingPlain(), 1);
  });
  const spans = sink.spans();
  t.same(spans.map((span) => [span.schemaName, span.payload]), [
    ['root', { a: 1 }],
    ['math:add', { args: [2, 3] }],
    ['agent:tool', { query: 'docs' }],
    ['bad-payload', { _prefactor_error: 'payload() threw: mapper failed' }],
    ['bad-payload', { _prefactor_error: 'payload() threw: plain' }],
  ]);
  t.ok(spans.slice(1).every((span) => span.parentId === spans[0]?.id));
});

t.test('withSpan() prefers the tracer of the current context over the global one', async (t) => {
  const globalSink = new InMemorySink();
  const global = init({ sink: globalSink, logger: false });
  const localSink = new InMemorySink();
  const local = new Tracer({ sink: localSink, logger: false });
  t.teardown(() => Promise.all([global.shutdown(), local.shutdown()]));
  local.withSpan('local-root', {}, () => withSpan('inner', {}, () => 1));
  t.same(localSink.spans().map((span) => span.schemaName), ['local-root', 'inner']);
  t.equal(globalSink.spans().length, 0);
});

t.test('withInstance(), flush(), shutdown(), bind() and bindEmitter() at module level use the active tracer', async (t) => {
  const sink = new InMemorySink();
  const tracer = init({ sink, logger: false });
  t.teardown(() => tracer.shutdown());
  const emitter = bindEmitter(new EventEmitter());
  let later: (() => string | undefined) | undefined;
  const id = await withInstance({ purpose: 'module-level' }, async (instance) => {
    withSpan('root', {}, () => {
      emitter.on('tick', () => withSpan('on-tick', {}, () => undefined));
      later = bind(() => currentSpan()?.name);
    });
    t.equal(currentSpan(), undefined);
    emitter.emit('tick');
    t.equal(later?.(), 'root', 'bind() keeps the context where it was called');
    return instance.id;
  });
  t.equal(await flush(), true);
  t.same(sink.instances().map((instance) => instance.id), [id]);
  const spans = sink.spans();
  t.same(spans.map((span) => [span.schemaName, span.instanceId]), [['root', id], ['on-tick', id]]);
  t.equal(spans[1]?.parentId, spans[0]?.id, 'the listener ran in the context it was added in');
  t.equal(await shutdown(), true);
  t.equal(tracer.withSpan('after', {}, () => 1), 1);
  t.equal(tracer.stats().dropped.after_shutdown, 1, 'shutdown() shut the global tracer down');
});
