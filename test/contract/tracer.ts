import t from 'tap';
import { contract } from '../fixtures/contract.js';

// The tracer's behaviour, asserted on what the sink stored: the same for InMemorySink and for the
// delivery engine sending to the local server (read back from the server's store).

class Boom extends Error {
  override name = 'Boom';
}

contract(t, 'nested withSpan: sync and async children under their parent, payloads and results', async (t, { tracer, stored }) => {
  const id = await tracer.withInstance(async (instance) => {
    await tracer.withSpan('agent:plan', { goal: 'g' }, async () => {
      tracer.withSpan('agent:think', { step: 1 }, () => ({ thought: 'sync' }));
      await tracer.withSpan('agent:tool', { step: 2 }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return 'text';
      });
    });
    return instance.id;
  });
  t.same(await stored(id), {
    status: 'complete',
    tree: [
      {
        name: 'agent:plan',
        status: 'complete',
        payload: { goal: 'g' },
        result: null,
        children: [
          { name: 'agent:think', status: 'complete', payload: { step: 1 }, result: { thought: 'sync' }, children: [] },
          { name: 'agent:tool', status: 'complete', payload: { step: 2 }, result: { value: 'text' }, children: [] },
        ],
      },
    ],
  });
});

contract(t, 'concurrent branches each keep their own parent', async (t, { tracer, stored }) => {
  const id = await tracer.withInstance(async (instance) => {
    await Promise.all(
      ['a', 'b', 'c'].map((branch) =>
        tracer.withSpan(`agent:${branch}`, {}, async () => {
          await new Promise((resolve) => setTimeout(resolve, 2));
          await tracer.withSpan(`agent:${branch}-child`, {}, async () => undefined);
        }),
      ),
    );
    return instance.id;
  });
  const { tree } = await stored(id);
  t.same(
    tree.map((span) => [span.name, span.children.map((child) => child.name)]).sort(),
    [
      ['agent:a', ['agent:a-child']],
      ['agent:b', ['agent:b-child']],
      ['agent:c', ['agent:c-child']],
    ],
  );
});

contract(t, 'an error ends the span failed with {error}, an AbortError cancelled; the instance follows', async (t, { tracer, stored }) => {
  let failedId = '';
  await t.rejects(
    tracer.withInstance(async (instance) => {
      failedId = instance.id;
      await tracer.withSpan('agent:step', { n: 1 }, async () => {
        throw new Boom('went wrong');
      });
    }),
    { name: 'Boom' },
  );
  let cancelledId = '';
  await t.rejects(
    tracer.withInstance(async (instance) => {
      cancelledId = instance.id;
      tracer.withSpan('agent:step', { n: 2 }, () => {
        throw new DOMException('stop', 'AbortError');
      });
    }),
    { name: 'AbortError' },
  );
  const failed = await stored(failedId);
  t.equal(failed.status, 'failed');
  t.match(failed.tree, [{ name: 'agent:step', status: 'failed', result: { error: { type: 'Boom', message: 'went wrong' } } }]);
  const cancelled = await stored(cancelledId);
  t.equal(cancelled.status, 'cancelled');
  t.match(cancelled.tree, [{ name: 'agent:step', status: 'cancelled' }]);
});

contract(t, 'setResult wins over the return value; the payload is captured when the span starts', async (t, { tracer, stored }) => {
  const id = await tracer.withInstance(async (instance) => {
    const payload = { n: 1 };
    tracer.withSpan('agent:step', payload, (span) => {
      payload.n = 2;
      span.setResult({ chosen: true });
      return { ignored: true };
    });
    return instance.id;
  });
  t.match((await stored(id)).tree, [{ payload: { n: 1 }, result: { chosen: true } }]);
});

contract(t, 'an async iterable ends its span when consumed; bind() keeps the parent across a timer', async (t, { tracer, stored }) => {
  const id = await tracer.withInstance(async (instance) => {
    const stream = tracer.withSpan('agent:stream', {}, async function* () {
      yield 1;
      yield 2;
    });
    const seen: number[] = [];
    for await (const chunk of stream) seen.push(chunk);
    t.same(seen, [1, 2]);
    await tracer.withSpan('agent:outer', {}, () =>
      new Promise<void>((resolve) => setTimeout(tracer.bind(() => resolve(tracer.withSpan('agent:later', {}, () => undefined))), 1)),
    );
    return instance.id;
  });
  t.match((await stored(id)).tree, [
    { name: 'agent:stream', status: 'complete', children: [] },
    { name: 'agent:outer', status: 'complete', children: [{ name: 'agent:later', status: 'complete' }] },
  ]);
});

contract(t, 'an instance finishes once its last open span ends', async (t, { tracer, stored }) => {
  let release!: () => void;
  const outliving = new Promise<void>((resolve) => (release = resolve));
  let open!: Promise<void>;
  const id = await tracer.withInstance(async (instance) => {
    open = tracer.withSpan('agent:outlives', {}, () => outliving);
    return instance.id;
  });
  t.equal((await stored(id)).status, 'active', 'fn is done but a span is open');
  release();
  await open;
  await new Promise((resolve) => setImmediate(resolve));
  t.same(await stored(id), { status: 'complete', tree: [{ name: 'agent:outlives', status: 'complete', payload: {}, result: null, children: [] }] });
});

contract(t, 'spans outside any instance go to a default instance, finished by shutdown()', async (t, { tracer, stored }) => {
  const id = tracer.withSpan('agent:first', {}, (span) => span.instanceId);
  tracer.withSpan('agent:second', {}, () => undefined);
  t.equal((await stored(id)).status, 'active');
  t.equal(await tracer.shutdown({ timeoutMs: 5000 }), true);
  const after = await stored(id);
  t.equal(after.status, 'complete');
  t.same(after.tree.map((span) => span.name), ['agent:first', 'agent:second']);
  t.equal(tracer.withSpan('agent:late', {}, () => 7), 7, 'after shutdown fn still runs');
  t.equal(tracer.stats().dropped.after_shutdown, 1);
});

contract(t, 'the killswitch aborts the instance signal and finishes it cancelled', async (t, { tracer, terminate, stored }) => {
  const id = await tracer.withInstance(async (instance) => {
    const aborted = new Promise((resolve) => instance.signal.addEventListener('abort', resolve));
    terminate(instance.id, 'budget exceeded');
    // The delivery engine hears of it in the answer to the next span.
    await tracer.withSpan('agent:step', {}, async () => undefined);
    await aborted;
    t.match(instance.signal.reason, { code: 'ERR_PREFACTOR_TERMINATED', reason: 'budget exceeded' });
    return instance.id;
  });
  t.equal((await stored(id)).status, 'cancelled');
});

contract(t, 'stats(): spans and instances counted the same whatever the sink', async (t, { tracer, stored }) => {
  const id = await tracer.withInstance(async (instance) => {
    for (let n = 0; n < 5; n++) tracer.withSpan('agent:step', { n }, () => n);
    return instance.id;
  });
  t.equal((await stored(id)).tree.length, 5);
  t.match(tracer.stats(), { spansStarted: 5, spansEnded: 5, instancesStarted: 1, instancesFinished: 1, telemetryErrors: 0 });
});
