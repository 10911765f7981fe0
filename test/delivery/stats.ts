import t from 'tap';
import { DropLog } from '../../src/delivery/stats.js';
import { recordingLogger } from '../fixtures/delivery.js';

const run = (fn: () => void): void => fn();

t.test('DropLog warns once per storm of drops, with its count, when the storm goes quiet', async (t) => {
  const logger = recordingLogger();
  const counters = new DropLog(logger, run, 30, 10_000);
  // Taken before the drops: a loaded machine may pause between the last drop and this line.
  const started = Date.now();
  counters.drop('queue_overflow', 1);
  counters.drop('queue_overflow', 2);
  counters.drop('after_shutdown', 1);
  t.same(logger.of('warn'), [], 'nothing while the storm lasts');
  await logger.waitFor('warn', 2);
  t.ok(Date.now() - started >= 25, 'the warnings come once the storm has been quiet for quietMs');
  t.same(logger.of('warn').length, 2);
  t.match(logger.of('warn')[0], /^Dropped 3 telemetry operation\(s\) \(queue_overflow\): the queue is full/);
  t.same(logger.lines[0]?.details, { reason: 'queue_overflow', count: 3, totalDropped: 3 });
  counters.drop('queue_overflow', 1);
  counters.reportStorms();
  t.match(logger.of('warn')[2], /^Dropped 1 telemetry operation/);
  t.same(logger.lines[2]?.details, { reason: 'queue_overflow', count: 1, totalDropped: 4 });
  t.same(counters.snapshot().queue_overflow, 4);
});

t.test('DropLog reports a storm that goes on at least every reportMs', async (t) => {
  // Drops every 5 ms never leave the 100 ms quiet gap, so only the 150 ms report interval can warn.
  // A loaded machine may stall the drops longer than the gap: that storm went quiet, which proves
  // nothing here, so it is run again (the gaps are measured, not assumed).
  for (let attempt = 1; ; attempt++) {
    const logger = recordingLogger();
    const counters = new DropLog(logger, run, 100, 150);
    const drops: number[] = [];
    const drop = (): void => {
      drops.push(Date.now());
      counters.drop('rejected_by_server', 1);
    };
    drop();
    const timer = setInterval(drop, 5);
    await logger.waitFor('warn', 1);
    const warnedAt = Date.now();
    clearInterval(timer);
    const longestGap = Math.max(...[...drops.slice(1), warnedAt].map((at, index) => at - drops[index]!));
    if (longestGap >= 100 && attempt < 10) continue;
    t.ok(longestGap < 100, `the storm never went quiet (longest gap ${longestGap} ms, attempt ${attempt})`);
    t.ok(warnedAt - drops[0]! >= 149, `the first warning came while the storm went on, after ${warnedAt - drops[0]!} ms`);
    t.equal(logger.lines[0]?.details?.count, drops.length, 'it counts the drops so far');
    counters.reportStorms();
    const total = logger.lines.reduce((sum, line) => sum + Number(line.details?.count ?? 0), 0);
    t.equal(total, counters.snapshot().rejected_by_server, 'the warnings account for every drop');
    break;
  }
});

t.test('DropLog.snapshot() returns a copy', async (t) => {
  const counters = new DropLog(recordingLogger(), run);
  const snapshot = counters.snapshot();
  counters.drop('serialization', 1);
  t.equal(snapshot.serialization, 0);
  counters.reportStorms();
});
