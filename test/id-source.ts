import t from 'tap';
import { IdSource } from '../src/id-source.js';
import { generateId, isPrefactorId, partitionOf } from '../src/ids.js';

t.test('IdSource.next() makes unique ids in the API format, with the partition and the timestamp', async (t) => {
  const source = new IdSource(777);
  const now = 1_700_000_000_000;
  const ids = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const id = source.next(now + (i >> 8));
    ids.add(id);
    if (!isPrefactorId(id) || partitionOf(id) !== 777) t.fail(`bad id ${id}`);
  }
  t.equal(ids.size, 5000);
  t.equal(source.next(now).slice(0, 16), generateId(777, now).slice(0, 16), 'same prefix as generateId');
});

t.test('IdSource random characters cover the whole alphabet', async (t) => {
  const source = new IdSource(1);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) for (const char of source.next(0).slice(16)) seen.add(char);
  t.equal(seen.size, 32);
});
