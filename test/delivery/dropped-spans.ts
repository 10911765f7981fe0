import t from 'tap';
import { DroppedSpans } from '../../src/delivery/dropped-spans.js';

t.test('DroppedSpans remembers up to its capacity, forgetting the oldest first', async (t) => {
  const dropped = new DroppedSpans(3);
  for (const id of ['a', 'b', 'c']) dropped.remember(id);
  t.same(['a', 'b', 'c', 'd'].map((id) => dropped.has(id)), [true, true, true, false]);
  dropped.remember('d');
  dropped.remember('e');
  t.same(['a', 'b', 'c', 'd', 'e'].map((id) => dropped.has(id)), [false, false, true, true, true]);
  for (const id of ['f', 'g', 'h', 'i']) dropped.remember(id);
  t.same(['e', 'f', 'g', 'h', 'i'].map((id) => dropped.has(id)), [false, false, true, true, true], 'the ring wraps around');
});

t.test('DroppedSpans.remember() costs O(1) when full', async (t) => {
  const dropped = new DroppedSpans(10_000);
  for (let n = 0; n < 10_000; n++) dropped.remember(`fill-${n}`);
  // The best of five rounds: process.cpuUsage() counts every thread of the process, and a round can
  // catch start-up work of other threads (module loading, the collector's helpers).
  let perCallUs = Infinity;
  for (let round = 0; round < 5; round++) {
    const ids = Array.from({ length: 50_000 }, (_, n) => `span-${round}-${n}`);
    const before = process.cpuUsage();
    for (const id of ids) dropped.remember(id);
    const cpu = process.cpuUsage(before);
    perCallUs = Math.min(perCallUs, (cpu.user + cpu.system) / ids.length);
  }
  // Evicting through Set#values().next() cost ~13 us per call.
  t.ok(perCallUs < 1, `${perCallUs.toFixed(3)} us of CPU per call`);
  t.ok(dropped.has('span-4-49999') && !dropped.has('span-4-39999') && dropped.has('span-4-40000'), 'the last 10,000 of the last round are remembered');
});

t.test('DroppedSpans answers as a Set and a ring of ids would, through many evictions', async (t) => {
  // A small table sees long probe runs and many deletions that move entries back: compare every
  // answer with the plain model it replaces.
  for (const capacity of [1, 7, 64]) {
    const dropped = new DroppedSpans(capacity);
    const model = new Set<string>();
    const ring: string[] = [];
    let next = 0;
    let mismatches = 0;
    let seed = 42;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let step = 0; step < 20_000; step++) {
      const id = `span-${Math.floor(random() * capacity * 4)}`;
      if (random() < 0.5) {
        dropped.remember(id);
        if (ring.length < capacity) ring.push(id);
        else {
          model.delete(ring[next]!);
          ring[next] = id;
          next = (next + 1) % capacity;
        }
        model.add(id);
      } else if (dropped.has(id) !== model.has(id)) mismatches++;
    }
    t.equal(mismatches, 0, `capacity ${capacity}: no answer differs`);
  }
});

t.test('DroppedSpans knows nothing at first, and matches an id by its text', async (t) => {
  const dropped = new DroppedSpans(10);
  t.equal(dropped.has('span-1'), false);
  dropped.remember('span-1');
  t.equal(dropped.has('span-1'), true);
  t.equal(dropped.has('span-2'), false);
  // The answer is the same for an equal id built another way (the fingerprint is of the text).
  t.equal(dropped.has(['span', '1'].join('-')), true);
});
