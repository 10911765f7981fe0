import t from 'tap';
import { DELIVERY_DEFAULTS, DELIVERY_OPTION_KEYS, resolveDeliveryOptions } from '../../src/delivery/options.js';

t.test('resolveDeliveryOptions() fills in the defaults', async (t) => {
  t.same(resolveDeliveryOptions({}), DELIVERY_DEFAULTS);
  t.same(Object.keys(DELIVERY_DEFAULTS).sort(), [...DELIVERY_OPTION_KEYS].sort(), 'every option has a default');
  t.equal(resolveDeliveryOptions({ batching: false, flushIntervalMs: 0 }).flushIntervalMs, 0);
});

t.test('resolveDeliveryOptions() names the option and the value it refuses', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ maxBatchSize: 0 }, /`maxBatchSize` to be a positive integer, got `0`/],
    [{ maxBatchBytes: 0.5 }, /`maxBatchBytes` to be a positive integer, got `0.5`/],
    [{ flushIntervalMs: -1 }, /`flushIntervalMs` to be a non-negative number/],
    [{ concurrency: 1.5 }, /`concurrency` to be a positive integer/],
    [{ maxQueueSize: '10' }, /`maxQueueSize` to be a positive integer, got `"10"` \(string\)/],
    [{ maxQueueBytes: 0 }, /`maxQueueBytes`/],
    [{ shutdownTimeoutMs: Number.NaN }, /`shutdownTimeoutMs`/],
    [{ batching: 'no' }, /`batching` to be a boolean/],
    [{ redeliveryDelayMs: -5 }, /`redeliveryDelayMs`/],
    [{ maxRedeliveryDelayMs: -5 }, /`maxRedeliveryDelayMs`/],
    [{ redeliveryDelayMs: 100, maxRedeliveryDelayMs: 50 }, /`redeliveryDelayMs` to be at most `maxRedeliveryDelayMs` \(50\), got `100`/],
  ];
  for (const [options, message] of cases) t.throws(() => resolveDeliveryOptions(options), { name: 'PrefactorConfigError', message });
});
