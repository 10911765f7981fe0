import t from 'tap';
import { AgentStatus, FinishStatus, IdempotencyKey, IsoTimestamp, JsonObject, TimestampInput } from '../../src/models/common.js';

t.test('TimestampInput turns a Date into ISO and keeps an ISO string', async (t) => {
  t.equal(TimestampInput.parse(new Date('2026-01-02T03:04:05Z')), '2026-01-02T03:04:05.000Z');
  t.equal(TimestampInput.parse('2026-01-02T03:04:05+02:00'), '2026-01-02T03:04:05+02:00');
  t.equal(TimestampInput.safeParse('2026-01-02').success, false, 'a date without time is refused');
  t.equal(TimestampInput.safeParse('2026-01-02T03:04:05').success, false, 'a time without zone is refused');
  t.equal(TimestampInput.safeParse(Date.now()).success, false);
});

t.test('IsoTimestamp accepts Z and offsets only', async (t) => {
  t.ok(IsoTimestamp.safeParse('2026-01-02T03:04:05.123456Z').success);
  t.notOk(IsoTimestamp.safeParse('yesterday').success);
});

t.test('statuses, idempotency keys and JSON objects parse or reject', async (t) => {
  t.same(AgentStatus.options, ['pending', 'active', 'complete', 'failed', 'cancelled']);
  t.notOk(FinishStatus.safeParse('active').success);
  t.ok(IdempotencyKey.safeParse('12345678').success);
  t.notOk(IdempotencyKey.safeParse('1234567').success);
  t.notOk(IdempotencyKey.safeParse('x'.repeat(65)).success);
  t.ok(JsonObject.safeParse({ a: [1] }).success);
  t.notOk(JsonObject.safeParse([1]).success);
});
