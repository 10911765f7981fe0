/**
 * The tracer's process hooks: ONE `beforeExit` listener (and one listener per signal with
 * `handleSignals`) for the whole process, however many tracers it has. A tracer is held until its
 * `shutdown()`: one the program dropped without shutting down may still hold spans, and the
 * `beforeExit` shutdown is what delivers them (a weak hold let the collector take such tracers, and
 * their spans with them).
 */

/** What the hooks need of a tracer. */
export interface ShutsDown {
  shutdown(): Promise<boolean>;
}

interface Entry {
  readonly tracer: ShutsDown;
  readonly handleSignals: boolean;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const entries = new Set<Entry>();
let listening = false;
let signalsListening = false;

function live(): ShutsDown[] {
  return [...entries].map((entry) => entry.tracer);
}

/** The event loop is empty: shut down every tracer the program forgot to (each then unwatches itself). */
function onBeforeExit(): void {
  for (const tracer of live()) void tracer.shutdown();
}

/**
 * SIGINT/SIGTERM with `handleSignals`: shut every tracer down, then let the signal take its course.
 * Our listener suppressed the default action (exit): when no other listener handles the signal, it
 * is raised again once our listeners are gone, so the process ends by it. When the program has its
 * own listener, that listener already ran for this signal: raising it again would run it twice, so
 * what happens next is the program's.
 */
function onSignal(signal: NodeJS.Signals): void {
  stopSignals();
  void Promise.all(live().map((tracer) => tracer.shutdown())).then(() => {
    // Raising the signal ends the process: run in a child process by test/tracing/tracer-lifecycle.ts,
    // whose coverage is not collected (tap's hooks are kept out of it).
    /* c8 ignore next */
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function stopSignals(): void {
  if (!signalsListening) return;
  signalsListening = false;
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

function update(): void {
  const wanted = entries.size > 0;
  if (wanted !== listening) {
    listening = wanted;
    if (wanted) process.on('beforeExit', onBeforeExit);
    else process.off('beforeExit', onBeforeExit);
  }
  const signals = [...entries].some((entry) => entry.handleSignals);
  if (signals && !signalsListening) {
    signalsListening = true;
    for (const signal of SIGNALS) process.on(signal, onSignal);
  } else if (!signals) stopSignals();
}

/** Watches `tracer` until the returned function is called (at its shutdown). */
export function watchProcess(tracer: ShutsDown, handleSignals: boolean): () => void {
  const entry: Entry = { tracer, handleSignals };
  entries.add(entry);
  update();
  return () => {
    entries.delete(entry);
    update();
  };
}
