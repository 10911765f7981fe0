/**
 * The scan of the serialiser's fast paths (see `serialize.ts`): whether a value is plain data that
 * `JSON.stringify` writes as the walker would, within a budget of units estimated from below. It
 * stops as soon as the answer is no, so its cost is bounded by the budget, not by the value.
 */

/** Asked about every key of a payload the plain path writes (the redaction's key names). */
export interface KeyWatch {
  /** Whether `key` is one to look at again (e.g. a key whose value may have to be masked). */
  watches(key: string): boolean;
}

/** How deep the walker goes before writing `"[MaxDepth]"`; also the depth the scan accepts. */
export const MAX_DEPTH = 64;
const OBJECT_PROTOTYPE = Object.prototype;
const DATE_PROTOTYPE = Date.prototype;

/** Whether `value` is an object literal or `Object.create(null)` (what is sent as itself). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return (prototype === OBJECT_PROTOTYPE || prototype === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/**
 * What a scan found so far, and what it checks against. One class for both kinds of scan (a whole
 * payload, a run of array items), so that the scan's compiled code sees one shape of it, not two.
 */
export class ScanState {
  /** Budget units left: the text's length so far, estimated from below (numbers count 1 unit). */
  left: number;
  /** The first object scanned (the root); the `seen` set is only made when a second one comes. */
  readonly first: object;
  /** Every object scanned: one reached again (a shared reference or a cycle) fails the scan. */
  seen: Set<object> | undefined;
  /** Asked about every key scanned. */
  readonly watch: KeyWatch | undefined;
  /** `watch` answered yes for a key. */
  seenKey = false;
  /** The key lists of the large objects scanned (more than `KEEP_KEY_LIST_ABOVE` keys), for the walker. */
  keyLists: Map<object, KeyList> | undefined = undefined;
  /** Objects the walker wrote already: reaching one fails the scan. */
  readonly written: ReadonlyMap<object, unknown> | undefined;
  /** Every object added to `seen`, in order, when some may have to be taken out again. */
  readonly added: object[] | undefined;
  /** `added.length` when the scan started. */
  readonly firstAdded: number;
  /** For each item of a run that is an object scanned whole: its offset in the run, then `added.length` after it. */
  readonly ends: number[] | undefined;

  private constructor(left: number, first: object, seen: Set<object> | undefined, watch: KeyWatch | undefined, written?: ReadonlyMap<object, unknown>, added?: object[]) {
    this.left = left;
    this.first = first;
    this.seen = seen;
    this.watch = watch;
    this.written = written;
    this.added = added;
    this.firstAdded = added === undefined ? 0 : added.length;
    this.ends = added === undefined ? undefined : [];
  }

  /** The scan of a whole payload, `root`, within `maxBytes` units; `watch` is asked about its keys. */
  static ofPayload(root: object, maxBytes: number, watch: KeyWatch | undefined): ScanState {
    return new ScanState(maxBytes, root, undefined, watch);
  }

  /**
   * The scan of a run of array items within `room` units: the objects it reaches are added to
   * `seen` and `added`; one already in them, or in `written`, fails it.
   */
  static ofRun(room: number, seen: Set<object>, added: object[], written: ReadonlyMap<object, unknown>): ScanState {
    return new ScanState(room, added, seen, undefined, written, added);
  }
}

/** An object's keys as the walker goes through them: the first ones (`keys`), and how many it has in all. */
export interface KeyList {
  readonly keys: readonly string[];
  readonly total: number;
}

/** How many items of an array the scan reads before it estimates whether the rest may fit. */
const PROBE_ITEMS = 16;
/** Objects with more keys than this have their key list kept from the scan for the walker. */
const KEEP_KEY_LIST_ABOVE = 256;
/** The least units a key takes in an object's text: its quotes, colon and comma, and a value of one character. */
export const MIN_KEY_UNITS = 5;
/** The least units an item takes in an array's text: one character and its comma. */
export const MIN_ITEM_UNITS = 2;
/**
 * The most entries (keys or items) the walker writes of a container that cannot fit in the room
 * left, which is cut either way (Sentry's `normalizeMaxBreadth` keeps as many):
 * - an object or Map whose keys alone cannot fit: writing a key costs the walker about 50 times
 *   what the engine spends per byte, so a million small keys are cut here, not at the budget's
 *   20,000 or so;
 * - an array or Set longer than that whose first items show, at their average size, that the rest
 *   cannot fit: 100,000 small records cost 1 to 3 ms cut here, 15 to 23 ms cut at the budget's end.
 */
export const CUT_BREADTH = 1000;

/**
 * Whether `value` (an object below the root) is plain data that `JSON.stringify` writes faithfully
 * within the budget: plain objects and arrays seen once, Dates and primitives, no deeper than
 * `MAX_DEPTH`. Returns `false` as soon as the answer is no (budget spent, an awkward value, a
 * shared object).
 */
function scanObject(value: object, state: ScanState, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  // Every object is reached once: a second visit (a shared reference or a cycle) needs the walker.
  const seen = (state.seen ??= new Set([state.first]));
  if (seen.has(value) || state.written?.has(value)) return false;
  seen.add(value);
  state.added?.push(value);
  if (Array.isArray(value)) {
    const length = value.length;
    if ((state.left -= length + 2) < 0) return false;
    // The first items tell how large the others are likely to be: an array that is likely not to
    // fit goes to the walker at once (which writes the same text for one that does, only slower,
    // unless its first 1,000 items are much larger than the rest: see `CUT_BREADTH`), rather than
    // after a scan of the whole budget's worth of items, which the walker would repeat.
    const probe = Math.min(length, PROBE_ITEMS);
    const left = state.left;
    for (let index = 0; index < probe; index++) if (!scanValue(value[index], state, depth)) return false;
    if (probe < length && ((left - state.left) / probe) * (length - probe) > state.left) return false;
    for (let index = probe; index < length; index++) if (!scanValue(value[index], state, depth)) return false;
    return true;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if ((prototype !== OBJECT_PROTOTYPE && prototype !== null) || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  return scanKeys(value, state, depth);
}

/**
 * The keys of a plain object (its prototype is `Object.prototype` or `null`, it has no `toJSON`).
 * A large object's key list is kept for the walker (`state.keyLists`), so that an object with a
 * million keys is enumerated once, not once here and once again there.
 */
export function scanKeys(value: object, state: ScanState, depth: number): boolean {
  state.left -= 2;
  const watch = state.watch;
  const keys = Object.keys(value);
  const count = keys.length;
  // An object whose keys cannot fit (each takes MIN_KEY_UNITS at least) goes to the walker at once,
  // which writes CUT_BREADTH of its keys at most. Its list is cut to those: a list of a
  // million keys held while the walker allocates would be scanned by the young-generation
  // collector (1M pointers) for nothing.
  const cannotFit = count * MIN_KEY_UNITS > state.left;
  if (count > KEEP_KEY_LIST_ABOVE) (state.keyLists ??= new Map()).set(value, { keys: cannotFit ? keys.slice(0, CUT_BREADTH) : keys, total: count });
  if (cannotFit) return false;
  for (let index = 0; index < count; index++) {
    const key = keys[index]!;
    if ((state.left -= key.length + 4) < 0) return false;
    if (watch !== undefined && !state.seenKey && watch.watches(key)) state.seenKey = true;
    if (!scanValue((value as Record<string, unknown>)[key], state, depth)) return false;
  }
  return true;
}

export /** Whether `value` (a key's value or an item) is plain data that fits (see `scanObject`); counts its units. */
function scanValue(value: unknown, state: ScanState, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return (state.left -= value.length + 2) >= 0;
    case 'number':
    case 'boolean':
    case 'undefined':
      return --state.left >= 0;
    case 'object':
      if (value === null) return --state.left >= 0;
      // A Date writes its ISO string (24 characters and quotes); it is a value, not shared state.
      if (Object.getPrototypeOf(value) === DATE_PROTOTYPE) return (state.left -= 26) >= 0;
      return scanObject(value, state, depth + 1);
    default:
      return false; // bigint (JSON throws), function and symbol (JSON drops them silently)
  }
}

