import t from 'tap';
import { EventEmitter, once } from 'node:events';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { bindEmitterToContext, bindToContext, contextStorage, currentFrame } from '../../src/tracing/context.js';
import { currentInstance, currentSpan } from '../../src/tracing/global.js';
import type { Tracer } from '../../src/tracing/tracer.js';
import { memoryTracer, shape, sorted, type Shape } from '../fixtures/tracer.js';

const leaf = (name: string): Shape => ({ name, children: [] });
const node = (name: string, ...children: Shape[]): Shape => ({ name, children });

t.test('contextStorage() lives on globalThis under Symbol.for, so copies of the package share it', async (t) => {
  const storage = contextStorage();
  t.equal((globalThis as Record<symbol, unknown>)[Symbol.for('prefactor-trace.context')], storage);
  t.equal(contextStorage(), storage);
  t.equal(currentFrame(), undefined);
  const frame = { tracer: {}, instance: undefined, span: undefined };
  storage.run(frame, () => t.equal(currentFrame(), frame));
});

t.test('a span is the parent of spans opened across await, Promise.all, timers and microtasks', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const instanceId = await tracer.withInstance(async (instance) => {
    await tracer.withSpan('root', {}, async () => {
      await tracer.withSpan('after-await', {}, async () => {
        await sleep(1);
        tracer.withSpan('nested-after-sleep', {}, () => 1);
      });
      await Promise.all([tracer.withSpan('all-1', {}, async () => immediate()), tracer.withSpan('all-2', {}, async () => 2)]);
      await new Promise<void>((resolve) => setTimeout(() => resolve(void tracer.withSpan('timeout', {}, () => 1)), 1));
      await new Promise<void>((resolve) => setImmediate(() => resolve(void tracer.withSpan('immediate', {}, () => 1))));
      await new Promise<void>((resolve) => queueMicrotask(() => resolve(void tracer.withSpan('microtask', {}, () => 1))));
      await new Promise<void>((resolve) => process.nextTick(() => resolve(void tracer.withSpan('next-tick', {}, () => 1))));
    });
    return instance.id;
  });
  t.same(shape(sink.tree(instanceId)), [
    node(
      'root',
      node('after-await', leaf('nested-after-sleep')),
      leaf('all-1'),
      leaf('all-2'),
      leaf('timeout'),
      leaf('immediate'),
      leaf('microtask'),
      leaf('next-tick'),
    ),
  ]);
});

t.test('a span opened by a child after its parent ended still attaches to that parent', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  let late!: Promise<void>;
  const instanceId = await tracer.withInstance(async (instance) => {
    tracer.withSpan('parent', {}, () => {
      late = sleep(2).then(() => tracer.withSpan('late-child', {}, () => undefined));
    });
    t.equal(sink.spans(instance.id)[0]?.status, 'complete', 'the parent has ended');
    await late;
    return instance.id;
  });
  const [parent] = sink.tree(instanceId);
  t.equal(parent?.children[0]?.schemaName, 'late-child');
  t.ok(parent!.finishedAt! <= parent!.children[0]!.startedAt);
});

t.test('the context is restored when withSpan returns (run, not enterWith)', async (t) => {
  const { tracer } = memoryTracer(t);
  t.equal(currentSpan(), undefined);
  tracer.withSpan('outer', {}, (span) => {
    t.equal(currentSpan(), span);
    t.equal(tracer.currentSpan(), span);
  });
  t.equal(currentSpan(), undefined);
  await tracer.withSpan('async', {}, async () => sleep(1));
  t.equal(currentSpan(), undefined);
  t.equal(currentInstance(), undefined);
});

t.test('.bind(fn) runs fn in the context where it was bound, wherever it is called', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  let bound!: (value: number) => number;
  const instanceId = await tracer.withInstance(async (instance) => {
    tracer.withSpan('binder', {}, () => {
      bound = tracer.bind(function (this: unknown, value: number) {
        t.equal(this, receiver, 'this is passed through');
        return tracer.withSpan('bound-call', {}, () => value * 2);
      });
    });
    const receiver = { bound };
    tracer.withSpan('caller', {}, () => t.equal(receiver.bound(21), 42));
    return instance.id;
  });
  t.same(shape(sink.tree(instanceId)), [node('binder', leaf('bound-call')), leaf('caller')]);
  t.equal(bindToContext(() => currentSpan())(), undefined, 'bound outside any span: runs outside any span');
});

t.test('.bindEmitter() runs listeners in the context where they were added; plain ones in the emitter\'s', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const instanceId = await tracer.withInstance(async (instance) => {
    const bound = tracer.bindEmitter(new EventEmitter());
    const plain = new EventEmitter();
    const onceListener = (): void => void tracer.withSpan('once-listener', {}, () => 1);
    const removed = (): void => void tracer.withSpan('removed-listener', {}, () => 1);
    tracer.withSpan('listening', {}, () => {
      bound.on('go', () => tracer.withSpan('bound-listener', {}, () => 1));
      bound.once('go', onceListener);
      bound.prependListener('go', removed);
      plain.on('go', () => tracer.withSpan('plain-listener', {}, () => 1));
    });
    t.equal(bound.off('go', removed), bound, 'off() with the original listener removes it');
    t.equal(bound.removeListener('never-bound', removed), bound, 'removing from an event never bound is harmless');
    t.equal(bound.listenerCount('go'), 2);
    tracer.withSpan('emitting', {}, () => {
      bound.emit('go');
      bound.emit('go');
      plain.emit('go');
    });
    t.equal(tracer.bindEmitter(bound), bound, 'binding twice is harmless');
    t.throws(() => bound.on('no-function', 'not a listener' as never), { code: 'ERR_INVALID_ARG_TYPE' }, 'a non-function reaches Node as is');
    return instance.id;
  });
  t.same(shape(sink.tree(instanceId)), [
    node('listening', leaf('bound-listener'), leaf('once-listener'), leaf('bound-listener')),
    node('emitting', leaf('plain-listener')),
  ]);
  const partial = bindEmitterToContext({ on: undefined, removeListener: undefined });
  t.same(Object.keys(partial), ['on', 'removeListener'], 'an object without the methods is left alone');
});

t.test('code run by each next() of a returned async iterable sees the span as its parent', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  async function* tokens(): AsyncGenerator<string> {
    for (const token of ['a', 'b']) {
      await immediate();
      yield tracer.withSpan(`token-${token}`, {}, () => token);
    }
  }
  const instanceId = await tracer.withInstance(async (instance) => {
    const stream = tracer.withSpan('stream', {}, () => tokens());
    let text = '';
    await tracer.withSpan('consumer', {}, async () => {
      for await (const token of stream) text += token;
    });
    t.equal(text, 'ab');
    return instance.id;
  });
  t.same(shape(sink.tree(instanceId)), [node('stream', leaf('token-a'), leaf('token-b')), leaf('consumer')]);
});

t.test('two tracers: a span of one is not the parent of the other\'s spans', async (t) => {
  const first = memoryTracer(t);
  const second = memoryTracer(t);
  await first.tracer.withSpan('first-outer', {}, async () => {
    await second.tracer.withSpan('second-inner', {}, async () => {
      t.equal(first.tracer.currentSpan(), undefined, 'the other tracer sees no span of its own');
      t.equal(first.tracer.currentInstance(), undefined);
      t.equal(second.tracer.currentInstance()?.id, second.sink.instances()[0]?.id);
    });
  });
  t.equal(second.sink.spans()[0]?.parentId, undefined);
  t.not(second.sink.spans()[0]?.instanceId, first.sink.spans()[0]?.instanceId);
});

/** One agent run: nested Promise.all branches, timers, an emitter and a stream, all under `root`. */
async function agentRun(tracer: Tracer, run: number): Promise<{ instanceId: string; result: number }> {
  return tracer.withInstance({ purpose: `run-${run}` }, async (instance) => {
    const result = await tracer.withSpan('root', { run }, async () => {
      const emitter = tracer.withSpan('setup', { run }, () => new EventEmitter());
      const listened = tracer.withSpan('listen', { run }, () => {
        tracer.bindEmitter(emitter);
        return new Promise<number>((resolve) => emitter.once('go', () => resolve(tracer.withSpan('on-go', { run }, () => 1))));
      });
      const [a, b, c] = await Promise.all([
        tracer.withSpan('a', { run }, async () => {
          await sleep(run % 3);
          return tracer.withSpan('a1', { run }, async () => {
            await immediate();
            return 1;
          });
        }),
        tracer.withSpan('b', { run }, async () => {
          const inner = await Promise.all([
            tracer.withSpan('b1', { run }, () => new Promise<number>((resolve) => setTimeout(() => resolve(1), run % 2))),
            tracer.withSpan('b2', { run }, async () => tracer.withSpan('b2x', { run }, () => 1)),
          ]);
          return inner[0] + inner[1];
        }),
        tracer.withSpan('emit', { run }, async () => {
          await immediate();
          emitter.emit('go');
          return listened;
        }),
      ]);
      const stream = tracer.withSpan('stream', { run }, async function* () {
        for (let i = 0; i < 2; i++) {
          await sleep(run % 2);
          yield tracer.withSpan('chunk', { run }, () => i);
        }
      });
      let chunks = 0;
      for await (const chunk of stream) chunks += chunk;
      return a + b + c + chunks;
    });
    return { instanceId: instance.id, result };
  });
}

const EXPECTED_RUN_TREE = sorted([
  node(
    'root',
    leaf('setup'),
    node('listen', leaf('on-go')),
    node('a', leaf('a1')),
    node('b', leaf('b1'), node('b2', leaf('b2x'))),
    leaf('emit'),
    node('stream', leaf('chunk'), leaf('chunk')),
  ),
]);

t.test('200 concurrent instances each produce their own exact tree', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const runs = await Promise.all(Array.from({ length: 200 }, (_, run) => agentRun(tracer, run)));
  t.equal(sink.instances().length, 200);
  let mismatches = 0;
  for (const [run, { instanceId, result }] of runs.entries()) {
    if (result !== 5) mismatches++;
    const instance = sink.instance(instanceId)!;
    if (instance.status !== 'complete' || instance.purpose !== `run-${run}`) mismatches++;
    if (!t.same(sorted(shape(sink.tree(instanceId))), EXPECTED_RUN_TREE, `tree of run ${run}`)) mismatches++;
    for (const span of sink.spans(instanceId)) {
      if (span.payload['run'] !== run || span.status !== 'complete') mismatches++;
    }
  }
  t.equal(mismatches, 0);
  t.equal(sink.spans().length, 200 * 14);
  t.equal(tracer.stats().spansEnded, 200 * 14);
});

t.test('once() from node:events in a span still sees the span afterwards', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const emitter = new EventEmitter();
  await tracer.withSpan('waiting', {}, async () => {
    setImmediate(() => emitter.emit('ready'));
    await once(emitter, 'ready');
    tracer.withSpan('after-once', {}, () => 1);
  });
  t.same(shape(sink.tree(sink.instances()[0]!.id)), [node('waiting', leaf('after-once'))]);
});
