import t from 'tap';
import { generateId, isPrefactorId, partitionOf, randomPartition } from '../../src/util/ids.js';

t.test('generateId() makes 32-character ids that sort by time', async (t) => {
  const first = generateId(5, 1_000);
  const second = generateId(5, 2_000);
  t.ok(isPrefactorId(first));
  t.equal(first.length, 32);
  t.ok(first < second);
});

t.test('generateId() keeps the partition, and partitionOf() reads it back', async (t) => {
  const partition = randomPartition();
  t.ok(partition >= 0 && partition <= 0x3fffffff);
  t.equal(partitionOf(generateId(partition)), partition);
  t.equal(partitionOf(generateId(0x3fffffff)), 0x3fffffff);
  t.ok(isPrefactorId(generateId()));
});

t.test('generateId() stays unique across pool refills', async (t) => {
  const ids = new Set(Array.from({ length: 1000 }, () => generateId(1)));
  t.equal(ids.size, 1000);
});

t.test('isPrefactorId() and partitionOf() reject other strings', async (t) => {
  t.notOk(isPrefactorId('8'.repeat(32)), 'first character above 7');
  t.notOk(isPrefactorId('0'.repeat(31)));
  t.notOk(isPrefactorId('0'.repeat(31) + 'i'), 'i is not Crockford');
  t.notOk(isPrefactorId(42));
  t.throws(() => partitionOf('nope'), { name: 'TypeError', message: 'Expected an id of 32 Crockford base32 characters, got "nope"' });
});

t.test('generateId() random characters cover the whole alphabet, and ids made in one millisecond differ', async (t) => {
  const seen = new Set<string>();
  const ids = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = generateId(7, 1_700_000_000_000);
    ids.add(id);
    for (const char of id.slice(16)) seen.add(char);
  }
  t.equal(seen.size, 32);
  t.equal(ids.size, 2000);
  t.equal(generateId(7, 1_700_000_000_000).slice(0, 16), generateId(7, 1_700_000_000_000).slice(0, 16));
  t.not(generateId(8, 1_700_000_000_000).slice(0, 16), generateId(7, 1_700_000_000_000).slice(0, 16), 'the prefix follows the partition');
});
