import t from 'tap';
import { InstanceHold, MAX_HELD_EVENTS, inSampleRate, sampleKey } from '../../src/tracing/sampling.js';
import { generateId } from '../../src/util/ids.js';
import { memoryTracer, shape } from '../fixtures/tracer.js';

t.test('sampleKey() depends on the id alone and spreads over [0, 1)', async (t) => {
  const id = generateId();
  t.equal(sampleKey(id), sampleKey(id));
  t.equal(sampleKey('run-1'), sampleKey('run-1'), 'ids in another format are hashed');
  const keys = Array.from({ length: 2000 }, () => sampleKey(generateId()));
  t.ok(keys.every((key) => key >= 0 && key < 1));
  const low = keys.filter((key) => key < 0.25).length;
  t.ok(low > 400 && low < 600, `${low} of 2000 under 0.25`);
  t.ok(inSampleRate(id, 1) && !inSampleRate(id, 0));
  t.equal(inSampleRate('run-1', 0.5), sampleKey('run-1') < 0.5);
});

t.test('sampleRate 0: an instance sends nothing, its spans run untraced, counted as sampled out', async (t) => {
  const { tracer, sink } = memoryTracer(t, { sampleRate: 0 });
  const value = await tracer.withInstance({ purpose: 'p' }, async (instance) => {
    t.match(instance.id, /^[0-9a-z]{32}$/, 'the instance still has an id');
    return tracer.withSpan('outer', { a: 1 }, (span) => {
      t.equal(span.id, '');
      t.equal(tracer.currentSpan(), undefined);
      return tracer.withSpan('inner', () => 7);
    });
  });
  t.equal(value, 7);
  t.equal(tracer.withSpan('outside any instance', () => 8), 8);
  t.same(sink.instances(), []);
  t.same(sink.spans(), []);
  t.match(tracer.stats(), { instancesSampledOut: 2, instancesStarted: 0, spansStarted: 0 }, 'the default instance is sampled too');
});

t.test('sampleRate: the same share of instances, decided by id', async (t) => {
  const { tracer, sink } = memoryTracer(t, { sampleRate: 0.3 });
  const ids = Array.from({ length: 400 }, () => generateId());
  for (const id of ids) tracer.withInstance({ id }, () => tracer.withSpan('s', () => 1));
  const recorded = new Set(sink.instances().map((instance) => instance.id));
  t.same([...recorded], ids.filter((id) => inSampleRate(id, 0.3)));
  t.ok(recorded.size > 80 && recorded.size < 160, `${recorded.size} of 400`);
  t.equal(tracer.stats().instancesSampledOut, 400 - recorded.size);
});

t.test('sampler decides from id and purpose; one that throws is counted and sampleRate decides', async (t) => {
  const asked: unknown[] = [];
  const { tracer, sink } = memoryTracer(t, {
    sampler: (info) => {
      asked.push(info);
      if (info.purpose === 'boom') throw new Error('sampler bug');
      return info.purpose === 'keep';
    },
  });
  tracer.withInstance({ id: 'a', purpose: 'keep' }, () => tracer.withSpan('s', () => 1));
  tracer.withInstance({ id: 'b', purpose: 'drop' }, () => tracer.withSpan('s', () => 1));
  tracer.withInstance({ id: 'c', purpose: 'boom' }, () => tracer.withSpan('s', () => 1));
  t.same(asked, [{ instanceId: 'a', purpose: 'keep' }, { instanceId: 'b', purpose: 'drop' }, { instanceId: 'c', purpose: 'boom' }]);
  t.same(sink.instances().map((instance) => instance.id), ['a', 'c']);
  t.match(tracer.stats(), { instancesSampledOut: 1, telemetryErrors: 1 });
});

t.test('sampleErrors: an unsampled instance is sent in full, in order, once one of its spans fails', async (t) => {
  const { tracer, sink } = memoryTracer(t, { sampleRate: 0, sampleErrors: true });
  const quiet = await tracer.withInstance(async (instance) => {
    await tracer.withSpan('fine', async () => 1);
    return instance.id;
  });
  const failing = await tracer.withInstance(async (instance) => {
    await tracer.withSpan('first', async () => 1);
    await tracer.withSpan('parent', async () => {
      await tracer.withSpan('broken', async () => { throw new Error('tool failed'); }).catch(() => 'handled');
      await tracer.withSpan('after', async () => 2);
    });
    return instance.id;
  });
  const thrown = await tracer.withInstance(async (instance) => {
    tracer.withSpan('fine', () => 1);
    throw Object.assign(new Error('agent failed'), { id: instance.id });
  }).catch((error: { id: string }) => error.id);
  t.same(sink.instances().map((instance) => [instance.id, instance.status]), [[failing, 'complete'], [thrown, 'failed']]);
  t.notOk(sink.instance(quiet), 'the quiet instance is never sent');
  t.same(shape(sink.tree(failing), true), [
    { name: 'first', status: 'complete', children: [] },
    { name: 'parent', status: 'complete', children: [{ name: 'broken', status: 'failed', children: [] }, { name: 'after', status: 'complete', children: [] }] },
  ]);
  t.same(shape(sink.tree(thrown)), [{ name: 'fine', children: [] }]);
  t.match(tracer.stats(), { instancesSampledOut: 3, instancesKeptForErrors: 2 });
  t.match(tracer.withInstance(() => tracer.withSpan('s', () => tracer.propagationHeaders())), { 'prefactor-context': /;span=[0-9a-z]+;sampled=0$/ }, 'held instances propagate as unsampled');
});

t.test(`sampleErrors: past ${MAX_HELD_EVENTS} held events the instance is let go, counted and warned about`, async (t) => {
  const { tracer, sink, logger } = memoryTracer(t, { sampleRate: 0, sampleErrors: true });
  tracer.withInstance(() => {
    for (let index = 0; index < MAX_HELD_EVENTS; index++) tracer.withSpan('s', () => index);
    try {
      tracer.withSpan('too late', () => { throw new Error('x'); });
    } catch {
      // handled: the span failed
    }
  });
  t.same(sink.instances(), []);
  t.same(sink.spans(), []);
  t.match(tracer.stats(), { instancesHoldOverflowed: 1, instancesKeptForErrors: 0 });
  t.match(logger.messages('warn'), [/held 1000 events before any span failed/]);
});

t.test('InstanceHold passes flush and shutdown to the sink', async (t) => {
  const { sink } = memoryTracer(t);
  const hold = new InstanceHold(sink, { kept: () => {}, overflowed: () => {} }, 'i');
  t.equal(await hold.flush(10), true);
  t.equal(await hold.shutdown(10), true);
});

t.test('sampling options are checked', async (t) => {
  const { Tracer } = await import('../../src/tracing/tracer.js');
  t.throws(() => new Tracer({ enabled: false, sampleRate: 2 }), { message: /`sampleRate` to be a number from 0 to 1, got `2`/ });
  t.throws(() => new Tracer({ enabled: false, sampleRate: Number.NaN }), { code: 'ERR_PREFACTOR_CONFIG' });
  t.throws(() => new Tracer({ enabled: false, sampler: true as never }), { message: /`sampler` to be a function/ });
  t.throws(() => new Tracer({ enabled: false, sampleErrors: 'yes' as never }), { message: /`sampleErrors`/ });
});
