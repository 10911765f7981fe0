import t from 'tap';
import { DeliveryCounters } from '../../src/delivery/stats.js';
import { recordingLogger } from '../fixtures/delivery.js';

const run = (fn: () => void): void => fn();

t.test('DeliveryCounters warns once per storm of drops, with its count, when the storm goes quiet', async (t) => {
  const logger = recordingLogger();
  const counters = new DeliveryCounters(logger, run, 30, 10_000);
  counters.drop('queue_overflow', 1);
  counters.drop('queue_overflow', 2);
  counters.drop('after_shutdown', 1);
  t.same(logger.of('warn'), [], 'nothing while the storm lasts');
  await new Promise((resolve) => setTimeout(resolve, 80));
  t.same(logger.of('warn').length, 2);
  t.match(logger.of('warn')[0], /^Dropped 3 telemetry operation\(s\) \(queue_overflow\): the queue is full/);
  t.same(logger.lines[0]?.details, { reason: 'queue_overflow', count: 3, totalDropped: 3 });
  counters.drop('queue_overflow', 1);
  counters.reportStorms();
  t.match(logger.of('warn')[2], /^Dropped 1 telemetry operation/);
  t.same(logger.lines[2]?.details, { reason: 'queue_overflow', count: 1, totalDropped: 4 });
  t.same(counters.snapshot().dropped.queue_overflow, 4);
});

t.test('DeliveryCounters reports a storm that goes on at least every reportMs', async (t) => {
  const logger = recordingLogger();
  const counters = new DeliveryCounters(logger, run, 40, 60);
  const started = Date.now();
  const timer = setInterval(() => counters.drop('rejected_by_server', 1), 5);
  await new Promise((resolve) => setTimeout(resolve, 150));
  clearInterval(timer);
  const during = logger.of('warn').length;
  t.ok(during >= 1, `${during} warning(s) during a ${Date.now() - started} ms storm`);
  counters.reportStorms();
  const total = logger.lines.reduce((sum, line) => sum + Number(line.details?.count ?? 0), 0);
  t.equal(total, counters.snapshot().dropped.rejected_by_server, 'the warnings account for every drop');
});

t.test('DeliveryCounters.snapshot() returns a copy', async (t) => {
  const counters = new DeliveryCounters(recordingLogger(), run);
  const snapshot = counters.snapshot();
  counters.drop('serialization', 1);
  t.equal(snapshot.dropped.serialization, 0);
  counters.reportStorms();
});
