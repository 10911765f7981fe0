import t from 'tap';
import { countSpan, emptyCounts } from '../../src/server/records.js';

t.test('countSpan moves a span between statuses and counts finished ones', async (t) => {
  const counts = emptyCounts();
  countSpan(counts, 'active', 1);
  t.same(counts, { total: 0, pending: 0, active: 1, complete: 0, failed: 0, cancelled: 0, finished: 0 });
  countSpan(counts, 'active', -1);
  countSpan(counts, 'failed', 1);
  t.same(counts, { total: 0, pending: 0, active: 0, complete: 0, failed: 1, cancelled: 0, finished: 1 });
  countSpan(counts, 'failed', -1);
  t.same(counts, emptyCounts());
});
