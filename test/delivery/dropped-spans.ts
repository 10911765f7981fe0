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
  const ids = Array.from({ length: 50_000 }, (_, n) => `span-${n}`);
  const before = process.cpuUsage();
  for (const id of ids) dropped.remember(id);
  const cpu = process.cpuUsage(before);
  const perCallUs = (cpu.user + cpu.system) / ids.length;
  // Evicting through Set#values().next() cost ~13 us per call.
  t.ok(perCallUs < 1, `${perCallUs.toFixed(3)} us of CPU per call`);
  t.ok(dropped.has('span-49999') && !dropped.has('span-39999') && dropped.has('span-40000'));
});
