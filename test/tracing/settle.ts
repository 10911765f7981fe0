import t from 'tap';
import { setImmediate as immediate } from 'node:timers/promises';
import { Readable, PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describeError, isAbortError, whenConsumed } from '../../src/tracing/settle.js';
import { memoryTracer } from '../fixtures/tracer.js';

/** A promise subclass with an extra member, like an API client's `APIPromise`. */
class ApiPromise<T> extends Promise<T> {
  withResponse(): Promise<{ data: T; response: string }> {
    return this.then((data) => ({ data, response: 'raw' }));
  }
}

/** A lazy thenable: its work runs each time `then` is called, like a query builder. */
function lazyQuery(result: unknown, fail = false) {
  const query = {
    runs: 0,
    where: () => query,
    then(onFulfilled?: (value: unknown) => unknown, onRejected?: (error: unknown) => unknown) {
      query.runs++;
      const outcome = fail ? Promise.reject(result) : Promise.resolve(result);
      return outcome.then(onFulfilled, onRejected);
    },
  };
  return query;
}

t.test('a returned plain promise is chained: same value, same error, unhandled rejections still reported', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const error = new Error('nope');
  const rejected = tracer.withSpan('rejects', {}, () => Promise.reject(error));
  t.equal(await rejected.catch((thrown: unknown) => thrown), error);
  t.equal(sink.spans()[0]?.status, 'failed');
});

t.test('a returned Promise subclass is returned itself, its extra members usable', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const original = new ApiPromise<string>((resolve) => setImmediate(() => resolve('data')));
  const returned = tracer.withSpan('api-call', {}, () => original);
  t.equal(returned, original, 'the same object');
  t.same(await returned.withResponse(), { data: 'data', response: 'raw' });
  t.equal(sink.spans()[0]?.status, 'complete');
  t.same(sink.spans()[0]?.resultPayload, { value: 'data' });
  const failing = new ApiPromise<string>((_, reject) => reject(new TypeError('bad')));
  await t.rejects(tracer.withSpan('api-fail', {}, () => failing), TypeError);
  t.equal(sink.spans()[1]?.status, 'failed');
});

t.test('a promise carrying its own members is returned itself', async (t) => {
  const { tracer } = memoryTracer(t);
  const promise = Object.assign(Promise.resolve(1), { abort: () => 'aborted' });
  const returned = tracer.withSpan('with-members', {}, () => promise);
  t.equal(returned, promise);
  t.equal(returned.abort(), 'aborted');
});

t.test('a lazy thenable is not run by the tracer; the span ends when it is awaited', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const query = lazyQuery({ rows: 2 });
  const returned = tracer.withSpan('query', {}, () => query);
  t.equal(returned, query, 'the same object, its members usable');
  t.equal(returned.where(), query);
  t.equal(query.runs, 0, 'the tracer did not call then');
  t.equal(sink.spans()[0]?.status, 'active');
  t.same(await returned, { rows: 2 });
  t.equal(query.runs, 1);
  t.equal(sink.spans()[0]?.status, 'complete');
  t.same(sink.spans()[0]?.resultPayload, { rows: 2 });
  const error = new Error('query failed');
  t.equal(await tracer.withSpan('failing-query', {}, () => lazyQuery(error, true)).then(() => 'resolved', (thrown: unknown) => thrown), error);
  t.equal(sink.spans()[1]?.status, 'failed');
  const bare = lazyQuery(3);
  tracer.withSpan('bare-then', {}, () => bare);
  await new Promise<void>((resolve, reject) => {
    bare.then();
    lazyQuery(new Error('x'), true).then(undefined, () => resolve());
    void reject;
  });
  const unobserved = tracer.withSpan('then-without-handlers', {}, () => lazyQuery(new Error('ignored'), true));
  await (unobserved.then() as Promise<unknown>).catch(() => undefined);
  t.equal(sink.spans()[3]?.status, 'failed');
});

t.test('a frozen thenable is wrapped in a proxy whose members stay usable', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  class Frozen {
    #secret = 'private';
    readonly label = 'frozen';
    then(onFulfilled: (value: string) => unknown) {
      return Promise.resolve(this.#secret).then(onFulfilled);
    }
    reveal(): string {
      return this.#secret;
    }
  }
  const frozen = Object.freeze(new Frozen());
  const returned = tracer.withSpan('frozen', {}, () => frozen);
  t.equal(returned.reveal(), 'private', 'methods run on the original object');
  t.equal(returned.label, 'frozen');
  t.ok('reveal' in returned);
  t.equal(await returned, 'private');
  t.equal(sink.spans()[0]?.status, 'complete');
});

t.test('a returned function is returned itself and ends the span', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const callback = (): number => 1;
  t.equal(tracer.withSpan('returns-function', {}, () => callback), callback);
  t.equal(sink.spans()[0]?.status, 'complete');
});

t.test('a value whose then getter throws ends the span at once and is returned', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const hostile = Object.defineProperty({}, 'then', { get: () => { throw new Error('getter'); } });
  t.equal(tracer.withSpan('hostile', {}, () => hostile), hostile);
  t.equal(sink.spans()[0]?.status, 'complete');
});

t.test('a promise that resolves to a value with a hostile getter ends its span complete, the value handed on', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  // Looks like a Node stream until its `pipe` is read: reading it throws.
  const hostile = Object.defineProperty({}, 'pipe', { enumerable: true, get: () => { throw new Error('getter'); } });
  t.equal(await tracer.withSpan('resolves-hostile', {}, () => Promise.resolve(hostile)), hostile);
  t.equal(sink.spans()[0]?.status, 'complete');
  let consumed = '';
  t.equal(await whenConsumed(Promise.resolve(hostile), (status) => (consumed = status)), hostile, 'the same for the integrations');
  t.equal(consumed, 'complete');
});

t.test('an async generator keeps its span open until the iteration completes', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  async function* tokens() {
    yield 'a';
    await immediate();
    yield 'b';
    return 'done';
  }
  const stream = tracer.withSpan('stream', {}, () => tokens());
  t.equal(sink.spans()[0]?.status, 'active');
  const seen: string[] = [];
  for await (const token of stream) seen.push(token);
  t.same(seen, ['a', 'b']);
  t.equal(sink.spans()[0]?.status, 'complete');
  t.same(sink.spans()[0]?.resultPayload, { value: 'done' });
});

t.test('a stream that throws ends failed; one abandoned with break ends cancelled and return() reaches the source', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const error = new Error('stream broke');
  async function* broken() {
    yield 1;
    throw error;
  }
  let caught: unknown;
  try {
    for await (const _ of tracer.withSpan('broken', {}, () => broken())) void _;
  } catch (thrown) {
    caught = thrown;
  }
  t.equal(caught, error);
  let cleanedUp = false;
  async function* endless() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      cleanedUp = true;
    }
  }
  for await (const value of tracer.withSpan('abandoned', {}, () => endless())) if (value === 2) break;
  t.equal(cleanedUp, true, 'return() was forwarded');
  t.same(sink.spans().map((span) => span.status), ['failed', 'cancelled']);
});

t.test('an async iterable object (not an iterator) keeps its members and is tracked through its iterator', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const stream = {
    controller: 'kept',
    async *[Symbol.asyncIterator]() {
      yield 1;
      yield 2;
    },
  };
  const returned = await tracer.withSpan('llm-stream', {}, async () => stream);
  t.equal(returned, stream);
  t.equal(returned.controller, 'kept');
  t.equal(sink.spans()[0]?.status, 'active', 'an async fn resolving to a stream keeps the span open');
  let sum = 0;
  for await (const value of returned) sum += value;
  t.equal(sum, 3);
  t.equal(sink.spans()[0]?.status, 'complete');
});

t.test('a hand-written iterator: throw() is forwarded or fails the span; return() without a source return cancels', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const make = (withMethods: boolean) => {
    const iterator: Record<string | symbol, unknown> = {
      next: async () => ({ done: false, value: 1 }),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    if (withMethods) iterator['throw'] = async () => ({ done: true, value: 'recovered' });
    return iterator as unknown as AsyncIterator<number> & AsyncIterable<number>;
  };
  const withThrow = tracer.withSpan('with-throw', {}, () => make(true));
  t.same(await withThrow.throw!(new Error('x')), { done: true, value: 'recovered' });
  const bare = tracer.withSpan('bare', {}, () => make(false));
  const error = new Error('thrown in');
  t.equal(await bare.throw!(error).catch((thrown: unknown) => thrown), error);
  const returning = tracer.withSpan('returning', {}, () => make(false));
  t.same(await returning.next(), { done: false, value: 1 });
  t.same(await returning.return!('early'), { done: true, value: 'early' });
  const syncThrow = tracer.withSpan('sync-throw', {}, () => ({
    next: () => {
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  }));
  t.throws(() => syncThrow.next(), error);
  t.same(sink.spans().map((span) => span.status), ['complete', 'failed', 'cancelled', 'failed']);
});

t.test('a frozen async iterable ends its span at once; a sync generator is not drained', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  async function* source() {
    yield 1;
  }
  const frozen = Object.freeze(source());
  t.equal(tracer.withSpan('frozen-stream', {}, () => frozen), frozen);
  let pulled = 0;
  function* numbers() {
    pulled++;
    yield 1;
  }
  const generator = tracer.withSpan('sync-generator', {}, () => numbers());
  t.equal(pulled, 0, 'not drained');
  t.same([...generator], [1]);
  t.same(sink.spans().map((span) => span.status), ['complete', 'complete']);
});

t.test('a thenable returned again and again is observed once, and each span still ends when it is awaited', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const cached = lazyQuery({ rows: 1 });
  for (let i = 0; i < 6000; i++) tracer.withSpan('cached', {}, () => cached);
  // Before: each return wrapped the previous wrapper; awaiting the 5,400-deep chain threw RangeError.
  t.same(await cached, { rows: 1 });
  t.equal(cached.runs, 1, 'the original then ran once');
  t.equal(sink.spans().filter((span) => span.status === 'complete').length, 6000);
  tracer.withSpan('cached-again', {}, () => cached);
  t.same(await cached, { rows: 1 });
  t.equal(sink.spans().at(-1)?.status, 'complete');
  t.same(await cached, { rows: 1 }, 'awaited with nothing waiting');
  const failing = lazyQuery(new Error('again'), true);
  tracer.withSpan('failing-1', {}, () => failing);
  tracer.withSpan('failing-2', {}, () => failing);
  await t.rejects(Promise.resolve(failing), /again/);
  t.same(sink.spans().slice(-2).map((span) => span.status), ['failed', 'failed']);
});

t.test('an async generator returned by several spans is instrumented once and ends them all', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  async function* tokens() {
    yield 1;
  }
  const stream = tokens();
  const next = stream.next;
  for (let i = 0; i < 3; i++) tracer.withSpan('shared-stream', {}, () => stream);
  t.equal(stream.next, stream.next, 'patched once');
  t.not(stream.next, next);
  for await (const _ of stream) void _;
  t.same(sink.spans().map((span) => span.status), ['complete', 'complete', 'complete']);
});

/** A WHATWG stream of `chunks`, counting pulls, recording its cancel reason. */
function webStream(chunks: unknown[], options: { error?: unknown; bytes?: boolean } = {}) {
  const state = { pulls: 0, cancelReason: undefined as unknown };
  let index = 0;
  const source = {
    pull(controller: ReadableStreamDefaultController<unknown>) {
      state.pulls++;
      if (index < chunks.length) controller.enqueue(chunks[index++]);
      else if (options.error !== undefined) controller.error(options.error);
      else controller.close();
    },
    cancel(reason: unknown) {
      state.cancelReason = reason;
    },
  };
  const stream = options.bytes ? new ReadableStream({ ...source, type: 'bytes' } as never) : new ReadableStream(source, { highWaterMark: 0 });
  return { stream: stream as ReadableStream<unknown>, state };
}

t.test('a returned ReadableStream ends its span however it is read', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const chunks = [{ token: 'a' }, { token: 'b' }];
  const status = () => sink.spans().at(-1)?.status;

  // getReader(): before, the span stayed active forever.
  const { stream } = webStream(chunks);
  const returned = tracer.withSpan('reader', {}, () => stream);
  t.ok(returned instanceof ReadableStream);
  const reader = returned.getReader();
  const first = await reader.read();
  t.equal(first.value, chunks[0], 'the same chunk objects');
  t.equal(status(), 'active');
  await reader.read();
  t.same(await reader.read(), { done: true, value: undefined });
  t.equal(status(), 'complete');

  // new Response(stream): what a route handler returns.
  const text = new TextEncoder();
  const body = tracer.withSpan('response', {}, () => webStream([text.encode('hello '), text.encode('world')]).stream);
  t.equal(await new Response(body as ReadableStream<Uint8Array>).text(), 'hello world');
  t.equal(status(), 'complete');

  // pipeTo
  const received: unknown[] = [];
  await tracer.withSpan('pipe-to', {}, () => webStream(chunks).stream).pipeTo(new WritableStream({ write: (chunk) => void received.push(chunk) }));
  t.same(received, chunks);
  t.equal(status(), 'complete');

  // for await, async fn resolving to a stream, and Node's pipeline
  const fromAsync = await tracer.withSpan('async-fn', {}, async () => webStream(chunks).stream);
  const seen: unknown[] = [];
  for await (const chunk of fromAsync) seen.push(chunk);
  t.same(seen, chunks);
  t.equal(status(), 'complete');
  const sinkStream = new PassThrough({ objectMode: true });
  sinkStream.resume();
  await pipeline(tracer.withSpan('pipeline', {}, () => webStream(chunks).stream), sinkStream);
  t.equal(status(), 'complete');
  t.same(sink.spans().map((span) => span.status), ['complete', 'complete', 'complete', 'complete', 'complete']);
});

t.test('a returned ReadableStream: errors, cancel reasons and backpressure pass through', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const error = new Error('upstream failed');
  const failing = tracer.withSpan('errors', {}, () => webStream([1], { error }).stream).getReader();
  t.same(await failing.read(), { done: false, value: 1 });
  t.equal(await failing.read().catch((thrown: unknown) => thrown), error, 'the same error object');
  t.equal(sink.spans()[0]?.status, 'failed');

  const { stream, state } = webStream([1, 2, 3]);
  const cancelled = tracer.withSpan('cancelled', {}, () => stream).getReader();
  await cancelled.read();
  t.equal(state.pulls, 1, 'nothing read ahead of the consumer');
  await cancelled.cancel('user left');
  t.equal(state.cancelReason, 'user left', 'the cancel reason reached the source');
  t.equal(sink.spans()[1]?.status, 'cancelled');

  const locked = webStream([1]).stream;
  const lockedReader = locked.getReader();
  t.equal(tracer.withSpan('locked', {}, () => locked), locked, 'a locked stream is handed on as it is');
  t.equal(sink.spans()[2]?.status, 'complete');
  lockedReader.releaseLock();
});

t.test('a returned byte stream stays a byte stream: BYOB readers work', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const bytes = new ReadableStream({
    type: 'bytes',
    start(controller) {
      controller.enqueue(new Uint8Array([1, 2, 3]));
      controller.close();
    },
  });
  const returned = tracer.withSpan('bytes', {}, () => bytes);
  const reader = returned.getReader({ mode: 'byob' });
  const first = await reader.read(new Uint8Array(8));
  t.same([...first.value!], [1, 2, 3]);
  const end = await reader.read(new Uint8Array(8));
  t.equal(end.done, true);
  t.equal(sink.spans()[0]?.status, 'complete');
});

t.test('a returned Node Readable ends its span on end, error or destroy, however it is consumed', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const statuses = () => sink.spans().map((span) => span.status);
  const read = tracer.withSpan('data-events', {}, () => Readable.from(['a', 'b']));
  t.equal(read instanceof Readable, true, 'the stream itself is handed on');
  const chunks: string[] = [];
  read.on('data', (chunk: string) => chunks.push(chunk));
  await new Promise((resolve) => read.on('end', resolve));
  t.same(chunks, ['a', 'b']);
  await immediate();
  t.same(statuses(), ['complete']);

  const out = new PassThrough();
  out.resume();
  await pipeline(tracer.withSpan('pipeline', {}, () => Readable.from(['x'])), out);
  t.same(statuses(), ['complete', 'complete']);

  const error = new Error('read failed');
  const failing = tracer.withSpan('fails', {}, () => new Readable({ read() { this.destroy(error); } }));
  failing.on('error', () => {}); // the program's own handler; the tracer adds none
  failing.resume();
  await new Promise((resolve) => failing.on('close', resolve));
  t.equal(sink.spans()[2]?.status, 'failed');
  t.match(sink.spans()[2]?.resultPayload, { error: { message: 'read failed' } });

  const destroyed = tracer.withSpan('destroyed', {}, () => new Readable({ read() {} }));
  destroyed.destroy();
  await new Promise((resolve) => destroyed.on('close', resolve));
  t.equal(sink.spans()[3]?.status, 'cancelled');

  const ended = Readable.from([]);
  ended.resume();
  await new Promise((resolve) => ended.on('end', resolve));
  tracer.withSpan('already-ended', {}, () => ended);
  const gone = new Readable({ read() {} });
  gone.destroy();
  tracer.withSpan('already-destroyed', {}, () => gone);
  const broken = new Readable({ read() {} });
  broken.on('error', () => {});
  broken.destroy(new Error('early'));
  await new Promise((resolve) => broken.on('close', resolve));
  tracer.withSpan('already-failed', {}, () => broken);
  t.same(statuses().slice(4), ['complete', 'cancelled', 'failed']);
  t.equal(read.listenerCount('error'), 0, 'no error listener added');
});

t.test("a returned Node Readable whose 'end' listeners the program removed ends complete on close after its end", async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const stream = tracer.withSpan('listeners-removed', {}, () => Readable.from(['a']));
  stream.removeAllListeners('end');
  stream.resume();
  await new Promise((resolve) => stream.on('close', resolve));
  t.equal(stream.readableEnded, true);
  t.equal(sink.spans()[0]?.status, 'complete');
});

t.test('whenConsumed() reports the end of a value once, for the integrations', async (t) => {
  const ends: [string, unknown][] = [];
  const onEnd = (status: string, detail: unknown) => void ends.push([status, detail]);
  t.equal(await whenConsumed(Promise.resolve(1), onEnd), 1);
  const stream = whenConsumed(webStream(['a']).stream, onEnd);
  for await (const _ of stream) void _;
  const abort = Object.assign(new Error('stop'), { name: 'AbortError' });
  await whenConsumed(Promise.reject(abort), onEnd).catch(() => undefined);
  await whenConsumed(Promise.reject(new Error('bad')), onEnd).catch(() => undefined);
  whenConsumed('sync', () => {
    throw new Error('the callback throws');
  });
  whenConsumed({ [Symbol.asyncIterator]: 1 }, onEnd);
  // Read to its end, then closed again with return(): the second end is not reported.
  const generator = whenConsumed((async function* () {
    yield 1;
  })(), onEnd);
  for await (const _ of generator) void _;
  await generator.return(undefined);
  t.same(ends.map(([status]) => status), ['complete', 'complete', 'cancelled', 'failed', 'complete', 'complete']);
});

t.test('isAbortError() and describeError() cope with odd values', async (t) => {
  t.equal(isAbortError(new DOMException('x', 'AbortError')), true);
  t.equal(isAbortError({ get name() { throw new Error('getter'); } }), false);
  t.equal(isAbortError(null), false);
  t.same(describeError(null), { type: 'null', message: 'null' });
  const noStack = new Error('no stack');
  noStack.stack = undefined;
  t.same(describeError(noStack), { type: 'Error', message: 'no stack' });
  t.same(describeError({ toString() { throw new Error('x'); } }), { type: 'unknown', message: 'the thrown value could not be described' });
});
