import t from 'tap';
import { watchProcess } from '../../src/tracing/process-hooks.js';

/** Our listeners: those `watch()` added to `event`. */
function added(event: string, watch: () => void): Array<(...args: unknown[]) => void> {
  const before = new Set(process.listeners(event as never));
  watch();
  return (process.listeners(event as never) as Array<(...args: unknown[]) => void>).filter((listener) => !before.has(listener));
}

const fakeTracer = (calls: string[], name: string): { shutdown(): Promise<boolean> } => ({
  shutdown: async () => {
    calls.push(name);
    return true;
  },
});

t.test('one beforeExit listener for every watched tracer; it shuts each down; gone once all unwatch', async (t) => {
  const calls: string[] = [];
  const tracers = Array.from({ length: 11 }, (_, n) => fakeTracer(calls, `t${n}`));
  const unwatch: Array<() => void> = [];
  const ours = added('beforeExit', () => {
    for (const tracer of tracers) unwatch.push(watchProcess(tracer, false));
  });
  t.equal(ours.length, 1, 'one listener for eleven tracers');
  ours[0]!(0);
  t.same(calls, tracers.map((_, n) => `t${n}`));
  for (const stop of unwatch) stop();
  t.notOk(process.listeners('beforeExit').includes(ours[0] as never), 'removed with the last tracer');
});

t.test('handleSignals: one listener per signal; on a signal every tracer shuts down, and the listeners go', async (t) => {
  const calls: string[] = [];
  const stops: Array<() => void> = [];
  const ours = added('SIGTERM', () => {
    stops.push(watchProcess(fakeTracer(calls, 'quiet'), false));
    stops.push(watchProcess(fakeTracer(calls, 'loud'), true));
    stops.push(watchProcess(fakeTracer(calls, 'second'), true));
  });
  t.equal(ours.length, 1);
  t.equal(process.listeners('SIGINT').filter((listener) => listener === ours[0]).length, 1, 'the same listener for SIGINT');
  // tap has SIGTERM listeners of its own here: the signal is not raised again (the process lives on).
  ours[0]!('SIGTERM');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(calls.sort(), ['loud', 'quiet', 'second']);
  t.notOk(process.listeners('SIGTERM').includes(ours[0] as never));
  for (const stop of stops) stop();
});

t.test('signal listeners go when the last tracer with handleSignals unwatches', async (t) => {
  let stop!: () => void;
  const ours = added('SIGINT', () => {
    stop = watchProcess(fakeTracer([], 'x'), true);
  });
  t.equal(ours.length, 1);
  stop();
  t.notOk(process.listeners('SIGINT').includes(ours[0] as never));
});
