import t from 'tap';
import type { Test } from 'tap';
import { fingerprint, fingerprintHigh, fingerprintLow } from '../../src/delivery/fingerprint.js';
import { SpanIndex } from '../../src/delivery/span-index.js';

/** The fingerprint of `id`, as the outbox keys the index. */
const key = (id: string): [number, number] => {
  fingerprint(id);
  return [fingerprintHigh, fingerprintLow];
};

for (const ids of [3, 6, 20, 3000]) {
  t.test(`SpanIndex answers as a Map of ${ids} ids would, through growth, overwrites and deletions`, async (t) => {
    // A small first capacity: the table doubles; deletions move entries back along their probe
    // runs (with few ids the table stays small: runs wrap around its end). Every answer is compared
    // with the plain Map it replaces.
    await modelCheck(t, ids);
  });
}

async function modelCheck(t: Test, ids: number): Promise<void> {
  const index = new SpanIndex(4);
  const model = new Map<string, number>();
  let seed = 7;
  const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let mismatches = 0;
  for (let step = 0; step < 40_000; step++) {
    const id = `span-${Math.floor(random() * ids)}`;
    const [h, l] = key(id);
    const roll = random();
    if (roll < 0.4) {
      index.set(h, l, step);
      model.set(id, step);
    } else if (roll < 0.7) {
      // Deletes only when the value matches, as the outbox does for a create it unlinks.
      const value = random() < 0.8 ? (model.get(id) ?? -2) : -3;
      index.delete(h, l, value);
      if (model.get(id) === value) model.delete(id);
    } else if (index.get(h, l) !== (model.get(id) ?? -1)) mismatches++;
    if (index.size !== model.size) mismatches++;
  }
  t.equal(mismatches, 0, 'no answer differs');
  t.ok(model.size > ids / 10, `${model.size} entries at the end`);
  index.clear();
  t.equal(index.size, 0);
  t.equal(index.get(...key('span-1')), -1, 'empty after clear()');
}

t.test('SpanIndex.delete() leaves an entry whose value is another (the same id indexed again)', async (t) => {
  const index = new SpanIndex();
  const [h, l] = key('span-1');
  t.equal(index.get(h, l), -1, 'nothing at first');
  index.set(h, l, 1);
  index.set(h, l, 2);
  index.delete(h, l, 1);
  t.equal(index.get(h, l), 2);
  index.delete(h, l, 2);
  t.equal(index.get(h, l), -1);
  t.equal(index.size, 0);
});
