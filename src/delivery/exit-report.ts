/**
 * One `exit` listener for the process, whatever the number of delivery engines: when the process
 * exits (`process.exit()`, or the end of the event loop) while an engine still holds operations,
 * that engine says so, once, at error level. Engines are held weakly: one the program dropped can
 * be collected.
 */

/** What the listener needs of an engine. */
export interface ReportsOnExit {
  /** Writes its line when it still holds operations; called synchronously from `exit`. */
  reportUndelivered(): void;
}

const engines = new Set<WeakRef<ReportsOnExit>>();
let listening = false;

/** The `exit` listener: every live engine reports what it still holds. */
export function reportAllUndelivered(): void {
  for (const ref of engines) ref.deref()?.reportUndelivered();
}

/** Reports for `engine` at exit until the returned function is called (at its shutdown). */
export function reportOnExit(engine: ReportsOnExit): () => void {
  const ref = new WeakRef(engine);
  // An engine the collector took (not forced in tests).
  /* c8 ignore next */
  for (const other of engines) if (other.deref() === undefined) engines.delete(other);
  engines.add(ref);
  if (!listening) {
    listening = true;
    process.on('exit', reportAllUndelivered);
  }
  return () => void engines.delete(ref);
}
