import t, { type Test } from 'tap';
import { createStderrLogger, resolveLogger, safeLog, silentLogger, type Logger } from '../../src/util/logger.js';

/** Captures what a stderr logger writes, without writing it. */
function captureStderr(t: Test): string[] {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  t.teardown(() => {
    process.stderr.write = write;
  });
  return lines;
}

t.test('createStderrLogger() writes warnings and errors with their details, and drops debug and info', async (t) => {
  const lines = captureStderr(t);
  const logger = createStderrLogger();
  logger.debug('quiet');
  logger.info('quiet too');
  logger.warn('queue full', { dropped: 3 });
  logger.error('broken');
  t.same(lines, ['[prefactor-trace] warn: queue full {"dropped":3}\n', '[prefactor-trace] error: broken\n']);
});

t.test('createStderrLogger() writes a repeated message once per throttle window, then says how many it held back', async (t) => {
  const lines = captureStderr(t);
  const logger = createStderrLogger(0);
  logger.warn('once');
  t.equal(lines.length, 1);
  const throttled = createStderrLogger(60_000);
  throttled.warn('storm');
  throttled.warn('storm');
  throttled.warn('storm');
  t.equal(lines.length, 2, 'the repeats within the window are held back');
  const expiring = createStderrLogger(-1);
  expiring.warn('again');
  expiring.warn('again');
  t.equal(lines.length, 4, 'outside the window every message is written');
});

t.test('createStderrLogger() reports the count held back when the window reopens', async (t) => {
  const lines = captureStderr(t);
  let now = 1_000;
  const realNow = Date.now;
  Date.now = () => now;
  t.teardown(() => {
    Date.now = realNow;
  });
  const logger = createStderrLogger(100);
  logger.warn('retrying');
  logger.warn('retrying');
  logger.warn('retrying');
  now += 100;
  logger.warn('retrying');
  t.same(lines, ['[prefactor-trace] warn: retrying\n', '[prefactor-trace] warn: retrying (2 more like this held back)\n']);
});

t.test('createStderrLogger() survives details JSON cannot carry', async (t) => {
  const lines = captureStderr(t);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  createStderrLogger().error('odd details', circular);
  t.same(lines, ['[prefactor-trace] error: odd details [unserialisable details]\n']);
});

t.test('createStderrLogger() forgets old messages after 1000 distinct ones', async (t) => {
  const lines = captureStderr(t);
  const logger = createStderrLogger(60_000);
  for (let index = 0; index <= 1000; index++) logger.warn(`message ${index}`);
  logger.warn('message 0');
  t.equal(lines.length, 1002, 'the first message is written again once the memory was cleared');
});

t.test('resolveLogger() maps undefined to stderr, false to silence, and keeps a given logger', async (t) => {
  const mine: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  t.equal(resolveLogger(mine), mine);
  t.equal(resolveLogger(false), silentLogger);
  const lines = captureStderr(t);
  resolveLogger(undefined).warn('to stderr');
  t.same(lines, ['[prefactor-trace] warn: to stderr\n']);
  silentLogger.debug('x');
  silentLogger.info('x');
  silentLogger.warn('x');
  silentLogger.error('x');
  t.equal(lines.length, 1, 'the silent logger writes nothing');
});

t.test('safeLog() passes the message on, and swallows a throwing logger', async (t) => {
  const seen: unknown[] = [];
  safeLog({ ...silentLogger, info: (message, details) => seen.push([message, details]) }, 'info', 'hello', { a: 1 });
  t.same(seen, [['hello', { a: 1 }]]);
  t.doesNotThrow(() =>
    safeLog({ ...silentLogger, error: () => {
      throw new Error('logger broke');
    } }, 'error', 'boom'),
  );
});

t.test('safeLog() without details calls the logger with the message alone (console prints no "undefined")', async (t) => {
  const calls: unknown[][] = [];
  const record = (...args: unknown[]): void => void calls.push(args);
  const logger: Logger = { debug: record, info: record, warn: record, error: record };
  safeLog(logger, 'warn', 'just this');
  safeLog(logger, 'error', 'with', { a: 1 });
  t.same(calls, [['just this'], ['with', { a: 1 }]]);
});
