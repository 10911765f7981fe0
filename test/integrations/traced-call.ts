// The generic machinery on values of other shapes than the real clients' (test/integrations/openai.ts
// and anthropic.ts run it on the real ones): plain values and promises, streams without an
// `iterator` member, result builders that throw.
import t from 'tap';
import { patchMethod, spanError, traceCall, type CallRecorder, type StreamAggregator, type TracedCall } from '../../src/integrations/traced-call.js';
import { memoryTracer } from '../fixtures/tracer.js';

const echo: CallRecorder = {
  result: (data) => ({ data }),
  stream: () => counting(),
};

function counting(): StreamAggregator & { items: unknown[] } {
  const items: unknown[] = [];
  return { items, add: (item) => (items.push(item), false), result: () => ({ items: items.length }) };
}

function call(invoke: () => unknown, extra: Partial<TracedCall> = {}): TracedCall {
  return { spanType: 'model', payload: { model: 'm' }, streamed: false, recorder: echo, invoke, invokeUntraced: invoke, ...extra };
}

async function* items(count: number): AsyncGenerator<number> {
  for (let i = 0; i < count; i++) yield i;
}

t.test('patchMethod leaves alone what is not a resource method', async (t) => {
  patchMethod(undefined, 'create', () => () => 1);
  const resource = { create: 1 };
  patchMethod(resource, 'create', () => () => 2);
  t.equal(resource.create, 1);
  const named = { create: function create() { return 1; } };
  patchMethod(named, 'create', (original) => function (this: unknown) { return Number(original.call(this)) + 1; });
  t.equal(named.create(), 2);
  t.equal(named.create.name, 'create');
});

t.test('a plain value, a plain promise, a rejected one, a sync throw', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  await tracer.withSpan('agent', {}, async () => {
    t.equal(traceCall(call(() => 42)), 42);
    t.equal(await traceCall(call(() => Promise.resolve('ok'))), 'ok');
    const error = new TypeError('bad');
    t.equal(await (traceCall(call(() => Promise.reject(error))) as Promise<unknown>).catch((thrown: unknown) => thrown), error);
    t.throws(() => traceCall(call(() => { throw error; })), error);
    // A builder that throws: the span still ends, with a stand-in result.
    const throwing: CallRecorder = { result: () => { throw 'odd'; }, stream: counting };
    t.equal(traceCall(call(() => 1, { recorder: throwing })), 1);
    const throwingError: CallRecorder = { result: () => { throw new RangeError('odd'); }, stream: counting };
    t.equal(traceCall(call(() => 1, { recorder: throwingError })), 1);
    const frozen = Object.freeze({ then: (resolve: (v: unknown) => void) => resolve(1), parseResponse: () => 1, responsePromise: Promise.resolve() });
    t.equal(traceCall(call(() => frozen)), frozen, 'an object that cannot be observed is returned as it is');
  });
  const results = sink.spans().filter((span) => span.schemaName === 'model').map((span) => [span.status, span.resultPayload]);
  t.match(results, [
    ['complete', { data: 42 }],
    ['complete', { data: 'ok' }],
    ['failed', { error: { type: 'TypeError', message: 'bad' } }],
    ['failed', { error: { type: 'TypeError', message: 'bad' } }],
    ['complete', { _prefactor_error: 'the answer could not be read: odd' }],
    ['complete', { _prefactor_error: 'the answer could not be read: odd' }],
    ['complete', undefined],
  ]);
});

t.test('a stream without an `iterator` member is observed through Symbol.asyncIterator, once', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const stream = { [Symbol.asyncIterator]: () => items(3) };
  await tracer.withSpan('agent', {}, async () => {
    const returned = await (traceCall(call(() => Promise.resolve(stream), { streamed: true })) as Promise<typeof stream>);
    const iterator = returned[Symbol.asyncIterator]() as AsyncIterator<number> & AsyncIterable<number>;
    t.equal(iterator[Symbol.asyncIterator](), iterator);
    const seen: number[] = [];
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) seen.push(step.value);
    t.same(seen, [0, 1, 2]);
    t.same(await iterator.next(), { done: true, value: undefined }, 'a read after the end');
    t.same(await iterator.return!(), { done: true, value: undefined }, 'a return() after the end');
    t.ok(returned[Symbol.asyncIterator](), 'a second reading goes to the source');
  });
  t.same(sink.spans()[1]?.resultPayload, { items: 3 });
});

t.test('throw() and return() on the observed iterator; a throwing aggregator; late ends are ignored', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const open = (source: () => AsyncIterator<unknown>, recorder: CallRecorder = echo) =>
    (traceCall(call(() => Promise.resolve({ [Symbol.asyncIterator]: source }), { streamed: true, recorder })) as Promise<AsyncIterable<unknown>>).then((stream) =>
      stream[Symbol.asyncIterator](),
    );
  await tracer.withSpan('agent', {}, async () => {
    const generator = await open(() => items(2));
    await generator.next();
    const error = new Error('stop');
    t.equal(await generator.throw!(error).catch((thrown: unknown) => thrown), error, 'throw() goes to the source');

    const bare = await open(() => ({ next: async () => ({ done: false, value: 1 }) }));
    t.same(await bare.return!(), { done: true, value: undefined }, 'return() without a source return()');
    t.equal(await bare.throw!(error).catch((thrown: unknown) => thrown), error, 'throw() without a source throw(), after the end');

    const throwing: CallRecorder = { result: () => ({}), stream: () => ({ add: () => { throw new Error('x'); }, result: () => ({ partial: true }) }) };
    const odd = await open(() => items(1), throwing);
    t.same(await odd.next(), { done: false, value: 0 }, 'the caller still gets the item');
    await odd.next();
  });
  t.same(sink.spans().slice(1).map((span) => span.status), ['failed', 'cancelled', 'complete']);
});

/** The members of a Stainless `APIPromise` the wrapper uses, on a small object. */
function apiPromiseShape(parse: () => Promise<unknown>) {
  const responsePromise = Promise.resolve({ status: 200 });
  return {
    responsePromise,
    parseResponse: parse,
    then(onFulfilled?: (value: unknown) => unknown, onRejected?: (error: unknown) => unknown) {
      return responsePromise.then(() => this.parseResponse()).then(onFulfilled, onRejected);
    },
  };
}

t.test('an APIPromise parsed twice ends its span once; a failed parse fails it', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const error = new SyntaxError('Unexpected end of JSON input');
  await tracer.withSpan('agent', {}, async () => {
    const twice = traceCall(call(() => apiPromiseShape(async () => 'body'))) as ReturnType<typeof apiPromiseShape>;
    t.equal(await twice, 'body');
    t.equal(await twice.parseResponse(), 'body', 'a second parse goes to the source');
    const failing = traceCall(call(() => apiPromiseShape(async () => { throw error; }))) as ReturnType<typeof apiPromiseShape>;
    t.equal(await Promise.resolve(failing).catch((thrown: unknown) => thrown), error, 'the parse error, unchanged');
  });
  t.match(sink.spans().slice(1), [
    { status: 'complete', resultPayload: { data: 'body' } },
    { status: 'failed', resultPayload: { error: { type: 'SyntaxError' } } },
  ]);
});

t.test('spanError: API errors read as status, type, message; other values pass', async (t) => {
  t.equal(spanError('text'), 'text');
  class APIUserAbortError extends Error {}
  t.equal((spanError(new APIUserAbortError('aborted')) as Error).name, 'AbortError');
  const named = new Error('x');
  named.name = 'CustomError';
  t.equal((spanError(named) as Error).name, 'CustomError');
  const anonymous = Object.assign(new Error('y'), { constructor: undefined });
  t.equal((spanError(anonymous) as Error).name, 'Error');
  const withoutType = Object.assign(new Error('503 down'), { status: 503 });
  t.equal((spanError(withoutType) as Error).message, '503: 503 down');
  const typed = Object.assign(new Error('409 x'), { status: 409, type: 'conflict', error: { message: 'Already there' } });
  t.equal((spanError(typed) as Error).message, '409 conflict: Already there');
  const nested = Object.assign(new Error('x'), { status: 529, error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
  t.equal((spanError(nested) as Error).message, '529 overloaded_error: Overloaded');
  const stackless = Object.assign(new Error('z'), { stack: undefined });
  t.equal((spanError(stackless) as Error).message, 'z');
});
