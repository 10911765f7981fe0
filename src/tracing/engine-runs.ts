/**
 * The runs of array items that the engine writes for the walker (see `Walker.#array` in
 * `serialize.ts`): which items a run can hold, and which objects those runs wrote, so that the
 * walker writes a "[Shared: ...]" marker when it meets one of them again.
 */
import { MAX_DEPTH, ScanState, scanValue } from './payload-scan.js';

/**
 * How many items of `chunk` from `from` on `JSON.stringify` writes as the walker would, within
 * `scan.left` units (estimated from below, with their commas): primitives, Dates, and plain objects
 * and arrays of plain data in which no object is reached twice or was written before. A small
 * function of its own: its loop is what a large array costs per item, and the engine optimises it
 * early and keeps it so.
 */
export function plainRun(chunk: readonly unknown[], from: number, scan: ScanState, depth: number): number {
  let index = from;
  try {
    for (; index < chunk.length; index++) {
      const item = chunk[index];
      if (--scan.left < 0 || !scanValue(item, scan, depth)) break;
      if (typeof item === 'object' && item !== null) scan.ends!.push(index - from, scan.added!.length);
    }
  } catch {
    // A getter or Proxy trap threw: the item is the walker's, which writes a marker in its place.
  }
  return index - from;
}

/** Items of an array that the engine wrote in one run, and where their objects are in `EngineRuns`' list. */
interface EngineRun {
  /** The array's path. */
  readonly path: string;
  /** The array index of the run's first item (`items[from]`). */
  readonly start: number;
  readonly items: readonly unknown[];
  readonly from: number;
  readonly count: number;
  /** The run's objects: `added[firstAdded]` up to `added[endAdded]` (excluded). */
  readonly firstAdded: number;
  readonly endAdded: number;
}

/**
 * The objects that the engine wrote, in runs of array items (see `Walker.#array`), for the walker
 * to write a "[Shared: ...]" marker when it meets one again. One set for all runs, which their
 * scans fill as they go, so that no object is recorded twice; paths are only built when a marker
 * needs one.
 */
export class EngineRuns {
  readonly #seen = new Set<object>();
  /** The objects of `#seen`, in the order they were added. */
  readonly #added: object[] = [];
  readonly #runs: EngineRun[] = [];
  /** Which run holds each object of the first `#indexedRuns` runs: made when a marker first needs it. */
  readonly #index = new Map<object, EngineRun>();
  #indexedRuns = 0;

  /** A scan for the next run, within `room` units; an object written already (in `written`, or by the engine) fails it. */
  scan(room: number, written: ReadonlyMap<object, unknown>): ScanState {
    return ScanState.ofRun(room, this.#seen, this.#added, written);
  }

  /**
   * After a run whose first `count` items were written: their objects stay recorded; those the
   * scan added for the items after them (cut, or scanned in vain) are taken out again.
   */
  commit(scan: ScanState, path: string, start: number, items: readonly unknown[], from: number, count: number): void {
    const ends = scan.ends!;
    let last = ends.length - 2;
    while (last >= 0 && ends[last]! >= count) last -= 2;
    const kept = last >= 0 ? ends[last + 1]! : scan.firstAdded;
    const added = this.#added;
    for (let index = kept; index < added.length; index++) this.#seen.delete(added[index]!);
    added.length = kept;
    if (kept > scan.firstAdded) this.#runs.push({ path, start, items, from, count, firstAdded: scan.firstAdded, endAdded: kept });
  }

  /** Whether the engine wrote `object`. */
  has(object: object): boolean {
    return this.#seen.has(object);
  }

  /** The path of `object`, written by the engine. */
  pathOf(object: object): string {
    for (; this.#indexedRuns < this.#runs.length; this.#indexedRuns++) {
      const run = this.#runs[this.#indexedRuns]!;
      for (let at = run.firstAdded; at < run.endAdded; at++) this.#index.set(this.#added[at]!, run);
    }
    return runPathOf(this.#index.get(object)!, object);
  }
}

/** The path of `target`, an object in one of `run`'s items. */
function runPathOf(run: EngineRun, target: object): string {
  try {
    for (let offset = 0; offset < run.count; offset++) {
      const item = run.items[run.from + offset];
      const itemPath = `${run.path}[${run.start + offset}]`;
      const found = item === target ? itemPath : typeof item === 'object' && item !== null ? pathWithin(item, target, itemPath, 0) : undefined;
      if (found !== undefined) return found;
    }
  } catch {
    // A getter that throws when read again: the run's path says where to look.
  }
  // Or a getter that no longer returns what the engine wrote.
  return `${run.path}[${run.start}…${run.start + run.count - 1}]`;
}

/** The path of `target` within `value` (plain data, written at `path`), searched depth first. */
function pathWithin(value: object, target: object, path: string, depth: number): string | undefined {
  if (depth >= MAX_DEPTH) return undefined;
  const isArray = Array.isArray(value);
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item !== 'object' || item === null) continue;
    const itemPath = isArray ? `${path}[${key}]` : `${path}.${key}`;
    const found = item === target ? itemPath : pathWithin(item, target, itemPath, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

