/**
 * Payload snapshots: any value in, the JSON text of an object out, never a throw, and never more
 * than `maxPayloadBytes` (UTF-8) of it, whatever the value's shape.
 *
 * Two paths:
 * - **Plain data** (the common case): one budgeted scan checks that the value is a tree of plain
 *   objects, arrays, Dates and primitives, with no object reached twice, whose text fits the
 *   budget; then the engine's `JSON.stringify` writes it. The scan stops as soon as the budget is
 *   spent or something awkward turns up, so its cost is bounded by the budget, not by the value.
 * - **Anything else** goes through `Walker`, which writes the JSON text itself, in one pass, under
 *   the same budget. Its rules (what a user sees in the payload):
 *   - each object is written once: a later reference to it is `"[Shared: $.path]"` (the path where
 *     it was written, its last 120 characters), a reference to an enclosing object
 *     `"[Circular: $.path]"`;
 *   - typed arrays, Buffers, DataViews and ArrayBuffers are summarised, e.g.
 *     `"[Uint8Array: 10000000 bytes]"`, never copied;
 *   - BigInt as its digits, functions as `"[Function name]"`, symbols as `"Symbol(x)"`, Errors as
 *     `{type, message, stack, cause}`, Maps as objects, Sets as arrays, `toJSON()` honoured;
 *   - a getter, `toJSON` or Proxy trap that throws gives `"[getter threw: ...]"`,
 *     `"[toJSON threw: ...]"` or `"[Unreadable: ...]"` in place of the value (the payload counts as
 *     a serialisation failure);
 *   - past depth 64, `"[MaxDepth]"`;
 *   - when the budget runs out: a long string is cut and ends with `…[+N chars]`; an object gets a
 *     last key `"_truncated": "N more keys"`, an array a last item `"[Truncated: N more items]"`;
 *     and the top-level object gets `"_prefactor_truncated": {maxPayloadBytes, stringsCut,
 *     keysOmitted, itemsOmitted}`. The span keeps everything else.
 *   - an object or Map that cannot fit in what is left of the budget (its keys alone are too long)
 *     keeps its first 1,000 keys; an array or Set of more than 1,000 items whose first 1,000 show
 *     that it cannot (the rest, at their average size, would not fit) keeps those 1,000; with the
 *     same markers. A million small keys or items would otherwise be written up to the budget's
 *     end, which costs the caller far more than the text is worth.
 *
 * A per-key hook (redaction, sampling) belongs in `Walker.#object` (every key of every object
 * written passes there, with its path) and, for the plain path and the engine's runs, in
 * `scanObject` (`payload-scan.ts`; return `false` to send the value through the walker). The scan already asks a `KeyWatch` (the redaction's key
 * names) about every key it meets, so that redaction costs nothing more than this walk when no
 * key can match.
 */

import { types } from 'node:util';
import { EngineRuns, plainRun } from './engine-runs.js';
import {
  CUT_BREADTH,
  MAX_DEPTH,
  MIN_ITEM_UNITS,
  MIN_KEY_UNITS,
  ScanState,
  isPlainObject,
  scanKeys,
  type KeyList,
  type KeyWatch,
} from './payload-scan.js';

export { isPlainObject, type KeyWatch };

/** The text sent when even the walker fails (e.g. the stack is exhausted). */
export const UNSERIALIZABLE_JSON = '{"_prefactor_error":"payload could not be serialised"}';

/** The default of the `maxPayloadBytes` option: 256 KiB of UTF-8 JSON per payload. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
/** The smallest `maxPayloadBytes` accepted: room for the truncation markers. */
export const MIN_MAX_PAYLOAD_BYTES = 1024;

/** `lastKeys`: no key of the text is watched. */
export const KEYS_CLEAR = 0;
/** `lastKeys`: a watched key is in the text. */
export const KEYS_SEEN = 1;
/** `lastKeys`: the walker wrote the text, its keys were not checked. */
export const KEYS_UNCHECKED = 2;

/** Units kept back by every open object or array: its closing bracket and its "N more" marker. */
const CLOSE_RESERVE = 48;
/** Units kept back by the top-level object: its `_prefactor_truncated` summary. */
const ROOT_RESERVE = 160;
/** The least room a value is started with: the longest number, or a short marker. */
const MIN_VALUE = 24;
/** The most characters of a path a "[Shared: ...]" marker shows (its end: the nearest keys). */
const MAX_PATH = 120;
/** Units of a cut string's end, `\u2026[+N chars]"`, at most (N < 2^30). */
const CUT_MARKER = 28;
/** How many items an array's first chunk reads (see `Walker.#array`). */
const FIRST_RUN = 16;
/** The most units of text a run of array items is written in (strings over 128 KiB take the engine's large-object path). */
const MAX_RUN_UNITS = 32 * 1024;
/** Texts up to this length are checked for escapes by `quote` itself. */
const QUOTE_SCAN_MAX = 64;

/**
 * Serialises payloads under a byte budget. `lastTruncated` / `lastFailed` tell the caller what
 * happened to the last payload (read right after `serialize()`).
 */
export class PayloadSerializer {
  /** The budget of one payload's JSON text, in UTF-8 bytes. */
  readonly maxBytes: number;
  /** The last payload was cut to fit `maxBytes`. */
  lastTruncated = false;
  /** Part of the last payload could not be read (a throwing getter, toJSON or Proxy), or none of it. */
  lastFailed = false;
  /** What the `KeyWatch` given to the last `serialize()` saw: `KEYS_CLEAR`, `KEYS_SEEN` or `KEYS_UNCHECKED`. */
  lastKeys = KEYS_CLEAR;

  constructor(maxBytes: number = DEFAULT_MAX_PAYLOAD_BYTES) {
    this.maxBytes = Math.max(MIN_MAX_PAYLOAD_BYTES, maxBytes);
  }

  /**
   * The JSON text of an object holding `value`: a plain object is sent as itself, anything else
   * (a string, an array, a Date, a Map, a class instance...) as `{"value": ...}`. `undefined`
   * gives `{}`. `watch`, when given, is asked about the keys (see `lastKeys`). Never throws.
   */
  serialize(value: unknown, watch?: KeyWatch): string {
    this.lastTruncated = false;
    this.lastFailed = false;
    this.lastKeys = KEYS_CLEAR;
    switch (typeof value) {
      case 'undefined':
        return '{}';
      case 'boolean':
        if (watch !== undefined && watch.watches('value')) this.lastKeys = KEYS_SEEN;
        return value ? '{"value":true}' : '{"value":false}';
      case 'number':
        if (watch !== undefined && watch.watches('value')) this.lastKeys = KEYS_SEEN;
        // A number is common (a count, a status, an index): its text is built flat, as JSON would write it.
        return Number.isFinite(value) ? flat('{"value":' + value + '}') : '{"value":null}';
    }
    let root: object;
    try {
      root = isPlainObject(value) ? value : { value };
    } catch {
      root = { value }; // a Proxy whose getPrototypeOf throws: the walker says what it can
    }
    const scan = ScanState.ofPayload(root, this.maxBytes, watch);
    try {
      // The root is plain (checked above, or the wrapper): its keys are scanned at once.
      if (scanKeys(root, scan, 0)) {
        const text = JSON.stringify(root);
        if (fits(text, this.maxBytes)) {
          if (scan.seenKey) this.lastKeys = KEYS_SEEN;
          return flat(text);
        }
      }
    } catch {
      // A getter or toJSON that throws, a Proxy: the walker copes.
    }
    if (watch !== undefined) this.lastKeys = KEYS_UNCHECKED;
    return this.#walk(root, scan.keyLists);
  }

  #walk(root: object, keyLists: Map<object, KeyList> | undefined): string {
    try {
      const max = this.maxBytes;
      let walker = new Walker(max, max, keyLists);
      let text = walker.root(root);
      if (!fits(text, max)) {
        // More UTF-8 bytes than UTF-16 units (non-ASCII text): walk again with a budget in proportion.
        walker = new Walker(Math.floor((max * max) / Buffer.byteLength(text)) - ROOT_RESERVE, max, keyLists);
        text = walker.root(root);
        /* c8 ignore start -- the budget in proportion has always fitted; max / 3 always does (a UTF-16 unit is at most 3 UTF-8 bytes) */
        if (!fits(text, max)) {
          walker = new Walker(Math.floor(max / 3), max, keyLists);
          text = walker.root(root);
        }
        /* c8 ignore stop */
      }
      this.lastTruncated = walker.truncated;
      this.lastFailed = walker.failed;
      return flat(text);
    } catch {
      // The walker itself failed: the stack is exhausted, or the engine is out of memory for strings.
      this.lastFailed = true;
      return UNSERIALIZABLE_JSON;
    }
  }
}

const defaultSerializer = new PayloadSerializer();

/** `PayloadSerializer.serialize` with the default budget. */
export function serializePayload(value: unknown): string {
  return defaultSerializer.serialize(value);
}

/** Whether `text` is at most `maxBytes` bytes in UTF-8 (measured only when it could be more). */
function fits(text: string, maxBytes: number): boolean {
  return text.length * 3 <= maxBytes || (text.length <= maxBytes && Buffer.byteLength(text) <= maxBytes);
}

/**
 * `text`, flattened. `JSON.stringify` returns a rope (its output is built in growing chunks) that a
 * queued span would keep for as long as it waits, and that is flattened again whenever it is read:
 * reading a character flattens it in place now, while it is young, and the garbage collector then
 * drops the rope's pieces.
 */
function flat(text: string): string {
  // The read has an effect (the flattening), so the compiler keeps it although its value is unused.
  text.charCodeAt(0);
  return text;
}

// ---------------------------------------------------------------------------------------------
// The walker

/**
 * Writes one payload's JSON text under a budget of UTF-16 units (the caller checks the UTF-8 size).
 * Objects and arrays keep `CLOSE_RESERVE` units back while open, so that whatever happens inside,
 * they can still write their "N more" marker and close.
 */
class Walker {
  truncated = false;
  failed = false;
  #out = '';
  /** Units left for content (reserves excluded). */
  #left: number;
  readonly #maxBytes: number;
  /** Every object written, with the path where it was written. */
  readonly #written = new Map<object, string>();
  /** The objects written by the engine, in runs of array items. */
  readonly #engine = new EngineRuns();
  /** The objects being written (enclosing the current value): a reference to one is a cycle. */
  readonly #open = new Set<object>();
  #stringsCut = 0;
  #keysOmitted = 0;
  #itemsOmitted = 0;

  /** Key lists the scan already made (large objects only). */
  readonly #keyLists: Map<object, KeyList> | undefined;

  constructor(budget: number, maxBytes: number, keyLists?: Map<object, KeyList>) {
    this.#left = budget - ROOT_RESERVE;
    this.#maxBytes = maxBytes;
    this.#keyLists = keyLists;
  }

  /** `Object.keys(value)`, from the scan's list when it made one (its first keys only, for a large object). */
  #keysOf(value: object): KeyList {
    return this.#keyLists?.get(value) ?? allKeys(Object.keys(value));
  }

  /** The text of `root`, a plain object or the `{value}` wrapper. */
  root(root: object): string {
    this.#written.set(root, '$');
    this.#open.add(root);
    let keys: KeyList;
    try {
      keys = this.#keysOf(root);
    } catch (error) {
      this.failed = true;
      return `{"_prefactor_error":${JSON.stringify(`payload could not be read: ${describe(error)}`)}}`;
    }
    this.#object(root, keys, '$', 0, true);
    return this.#out;
  }

  /** Writes `value`, found under `key` of the object written at `parentPath`. */
  #value(value: unknown, parentPath: string, key: string | number, depth: number): void {
    switch (typeof value) {
      case 'string':
        return this.#string(value);
      case 'number':
        return this.#raw(Number.isFinite(value) ? String(value) : 'null');
      case 'boolean':
        return this.#raw(value ? 'true' : 'false');
      case 'bigint':
        return this.#string(value.toString());
      case 'function':
        return this.#string(`[Function ${functionName(value)}]`);
      case 'symbol':
        return this.#string(value.toString());
      case 'undefined':
        return this.#raw('null');
    }
    if (value === null) return this.#raw('null');
    const out = this.#out;
    const left = this.#left;
    try {
      // The path is only built for objects: it is what a later "[Shared: ...]" marker shows.
      this.#objectValue(value as object, typeof key === 'number' ? `${parentPath}[${key}]` : `${parentPath}.${key}`, depth);
    } catch (error) {
      // A Proxy trap, a Map's iteration...: the value's text so far is dropped and replaced whole.
      this.#out = out;
      this.#left = left;
      this.#open.delete(value as object);
      this.failed = true;
      this.#string(`[Unreadable: ${describe(error)}]`);
    }
  }

  #objectValue(value: object, path: string, depth: number): void {
    if (ArrayBuffer.isView(value)) return this.#string(`[${viewName(value)}: ${value.byteLength} bytes]`);
    if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
      return this.#string(`[${value instanceof ArrayBuffer ? 'ArrayBuffer' : 'SharedArrayBuffer'}: ${value.byteLength} bytes]`);
    }
    if (value instanceof Date) return this.#raw(Number.isNaN(value.getTime()) ? 'null' : JSON.stringify(value.toISOString()));
    const writtenAt = this.#written.get(value) ?? (this.#engine.has(value) ? this.#engine.pathOf(value) : undefined);
    if (writtenAt !== undefined) {
      const where = writtenAt.length > MAX_PATH ? `…${writtenAt.slice(-MAX_PATH)}` : writtenAt;
      return this.#string(`[${this.#open.has(value) ? 'Circular' : 'Shared'}: ${where}]`, '[Shared]');
    }
    if (depth >= MAX_DEPTH) return this.#string('[MaxDepth]');
    const toJSON = value instanceof Error ? undefined : (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      let replaced: unknown;
      try {
        replaced = toJSON.call(value);
      } catch (error) {
        this.failed = true;
        return this.#string(`[toJSON threw: ${describe(error)}]`);
      }
      this.#written.set(value, path);
      this.#open.add(value);
      this.#value(replaced, path, '(toJSON)', depth + 1);
      this.#open.delete(value);
      return;
    }
    if (this.#left < CLOSE_RESERVE + MIN_VALUE) return this.#string('[Truncated]');
    let entries: readonly unknown[] | undefined;
    /** How many items `entries` stands for (a large Set's first items only). */
    let total: number | undefined;
    let keys: KeyList | undefined;
    let source: object = value;
    let map: Map<unknown, unknown> | undefined;
    if (Array.isArray(value)) entries = value;
    else if (value instanceof Set) {
      entries = value.size * MIN_ITEM_UNITS > this.#left ? firstItems(value, CUT_BREADTH) : [...value];
      total = value.size;
    }
    else if (value instanceof Map) map = value;
    else if (value instanceof Error) {
      const copy: Record<string, unknown> = { type: value.name, message: value.message, stack: value.stack };
      if (value.cause !== undefined) copy['cause'] = value.cause;
      source = copy;
      keys = allKeys(Object.keys(copy));
    } else keys = this.#keysOf(value);
    this.#written.set(value, path);
    this.#open.add(value);
    if (entries !== undefined) this.#array(entries, path, depth, total);
    else if (map !== undefined) this.#map(map, path, depth);
    else this.#object(source, keys!, path, depth, false);
    this.#open.delete(value);
  }

  /** `{"key":value,...}`: own enumerable keys; `undefined` values skipped, as JSON does. */
  #object(value: object, list: KeyList, path: string, depth: number, isRoot: boolean): void {
    const { keys, total } = list;
    this.#reserve(isRoot ? 0 : CLOSE_RESERVE);
    const limit = total > CUT_BREADTH && !keysMayFit(list, this.#left) ? CUT_BREADTH : keys.length;
    this.#out += '{';
    let comma = false;
    let index = 0;
    for (; index < limit; index++) {
      const key = keys[index]!;
      // Each key costs a unit of work, written or not: 1M keys holding `undefined` stay bounded.
      if (--this.#left < MIN_VALUE) break;
      let item: unknown;
      try {
        item = (value as Record<string, unknown>)[key];
      } catch (error) {
        this.failed = true;
        item = `[getter threw: ${describe(error)}]`;
      }
      if (item === undefined) continue;
      const prefix = (comma ? ',' : '') + quote(key) + ':';
      if (prefix.length + MIN_VALUE > this.#left) break;
      this.#out += prefix;
      this.#left -= prefix.length;
      comma = true;
      this.#value(item, path, key, depth + 1);
    }
    if (index < total) {
      this.truncated = true;
      this.#keysOmitted += total - index;
      this.#out += `${comma ? ',' : ''}"_truncated":"${total - index} more keys"`;
      comma = true;
    }
    // A truncated root has written a key or its "_truncated" marker: a comma always goes first.
    if (isRoot && this.truncated) this.#out += `,"_prefactor_truncated":${this.#summary()}`;
    this.#out += '}';
    this.#release(isRoot ? 0 : CLOSE_RESERVE);
  }

  /**
   * `[item,...]`. The items are read a chunk at a time, each once (a plain array's chunk by one
   * `slice`, the engine's copy); the runs of plain items in a chunk (primitives, and plain objects
   * and arrays that fit, see `plainRun`) are written by the engine, a run per `JSON.stringify`
   * call, and anything else by the walker. A list of records or numbers costs a scan of what is
   * written and the engine's work, not a call of the walker per key or item.
   */
  #array(items: readonly unknown[], path: string, depth: number, total = items.length): void {
    this.#reserve(CLOSE_RESERVE);
    this.#out += '[';
    const length = total;
    const sliceable = isSliceable(items);
    const room = this.#left;
    // Items past `limit` are not read: all of them at first; the first CUT_BREADTH if those show
    // that the array cannot fit (see below).
    let limit = Math.min(items.length, length);
    let index = 0;
    // How many items the next chunk reads at most: about half of what the room left holds.
    let chunkLength = FIRST_RUN;
    let full = false;
    while (!full && index < limit) {
      if (index === CUT_BREADTH && (limit - index) * ((room - this.#left) / index) > this.#left) {
        limit = index; // the rest, at the average size of the first items, would not fit
        break;
      }
      const end = Math.min(limit, index + chunkLength, index < CUT_BREADTH ? CUT_BREADTH : limit);
      const chunk = sliceable ? items.slice(index, end) : readItems(items, index, end);
      const left = this.#left;
      let at = 0;
      while (at < chunk.length) {
        if ((full = this.#left < MIN_VALUE + 1)) break;
        const scan = this.#engine.scan(this.#left, this.#written);
        const run = plainRun(chunk, at, scan, depth + 1);
        const written = run > 0 ? this.#run(chunk, at, run, index + at) : 0;
        // The objects of the items written stay marked as written; those of the others are taken out.
        this.#engine.commit(scan, path, index + at, chunk, at, written);
        at += written;
        if (at < chunk.length) {
          // An awkward value, or one too long for the room left: the walker writes it (cut to the room).
          if ((full = !this.#item(chunk[at], index + at, path, depth))) break;
          at++;
        }
      }
      index += at;
      // Chunks grow fourfold at most (the first items may be shorter than the rest: 0, 1, 2...).
      // Each run's text is kept under MAX_RUN_UNITS (a larger string costs the engine more to allocate).
      const density = (left - this.#left) / at;
      chunkLength = Math.max(FIRST_RUN, Math.min(at * 4, Math.floor(this.#left / density / 2), Math.floor(MAX_RUN_UNITS / density)));
    }
    if (index < length) {
      this.truncated = true;
      this.#itemsOmitted += length - index;
      this.#out += `${index > 0 ? ',' : ''}"[Truncated: ${length - index} more items]"`;
    }
    this.#out += ']';
    this.#release(CLOSE_RESERVE);
  }

  /**
   * Writes `count` items of `chunk` from `from` on (items `start`... of the array; plain data, see
   * `plainRun`) as far as the room allows, a part per `JSON.stringify` call; returns how many it wrote.
   */
  #run(chunk: readonly unknown[], from: number, count: number, start: number): number {
    let written = 0;
    let part = count;
    while (written < count) {
      part = Math.min(part, count - written);
      const at = from + written;
      const index = start + written;
      const json = JSON.stringify(at === 0 && part === chunk.length ? chunk : chunk.slice(at, at + part));
      const size = json.length - (index > 0 ? 1 : 2); // without its brackets, after a comma
      if (size <= this.#left) {
        this.#out += index > 0 ? `,${json.slice(1, -1)}` : json.slice(1, -1);
        this.#left -= size;
        written += part;
      } else if (part > 1) {
        // Longer than the room left (longer numbers than estimated, escapes): fewer items, in proportion.
        part = Math.max(1, Math.min(part - 1, Math.floor((part * this.#left) / size)));
      } else {
        return written; // an item too long for the room left: the walker writes it, cut
      }
    }
    return written;
  }

  /** Writes item `index` of an array (after a comma unless it is the first); `false` when there is no room for it. */
  #item(item: unknown, index: number, path: string, depth: number): boolean {
    if (this.#left < MIN_VALUE + 1) return false;
    if (index > 0) {
      this.#out += ',';
      this.#left--;
    }
    this.#value(item, path, index, depth + 1);
    return true;
  }

  /** A Map as an object: keys turned into strings. */
  #map(map: Map<unknown, unknown>, path: string, depth: number): void {
    this.#reserve(CLOSE_RESERVE);
    this.#out += '{';
    let written = 0;
    const limit = map.size * MIN_KEY_UNITS > this.#left ? CUT_BREADTH : map.size;
    for (const [key, item] of map) {
      if (written === limit) break;
      const name = String(key);
      const prefix = (written > 0 ? ',' : '') + JSON.stringify(name) + ':';
      if (prefix.length + MIN_VALUE > this.#left) break;
      this.#out += prefix;
      this.#left -= prefix.length;
      written++;
      this.#value(item, path, name, depth + 1);
    }
    if (written < map.size) {
      this.truncated = true;
      this.#keysOmitted += map.size - written;
      this.#out += `${written > 0 ? ',' : ''}"_truncated":"${map.size - written} more keys"`;
    }
    this.#out += '}';
    this.#release(CLOSE_RESERVE);
  }

  /** A JSON string, cut to the room left (`…[+N chars]` at its end says how much went). */
  #string(text: string, short = '[Truncated]'): void {
    if (text.length + 2 <= this.#left) {
      const json = quote(text);
      if (json.length <= this.#left) return this.#raw(json);
    }
    // Escapes take up to 6 units per character: cut, then cut again if the escaped text is too long.
    // The kept part is escaped alone (not copied when it needs no escape) and the marker's `…`
    // written as `\u2026`: the text stays one byte per character (a `…` in it would make the
    // engine copy the whole cut to two bytes each).
    let keep = this.#left - CUT_MARKER;
    for (let attempt = 0; attempt < 2 && keep > 0; attempt++) {
      const kept = text.slice(0, keep);
      const json = `${NEEDS_ESCAPE.test(kept) ? JSON.stringify(kept).slice(0, -1) : `"${kept}`}\\u2026[+${text.length - keep} chars]"`;
      if (json.length <= this.#left) {
        this.truncated = true;
        this.#stringsCut++;
        return this.#raw(json);
      }
      keep = Math.floor(keep / 6);
    }
    this.truncated = true;
    this.#stringsCut++;
    this.#raw(JSON.stringify(short));
  }

  #raw(text: string): void {
    this.#out += text;
    this.#left -= text.length;
  }

  #reserve(reserve: number): void {
    this.#left -= 1 + reserve;
  }

  /** Gives back what the container did not use of its reserve (its closing bracket is paid). */
  #release(reserve: number): void {
    this.#left += reserve;
  }

  #summary(): string {
    return `{"maxPayloadBytes":${this.#maxBytes},"stringsCut":${this.#stringsCut},"keysOmitted":${this.#keysOmitted},"itemsOmitted":${this.#itemsOmitted}}`;
  }
}

/** The first `count` items of `set`, read no further. */
function firstItems(set: Set<unknown>, count: number): unknown[] {
  const items: unknown[] = [];
  for (const item of set) {
    if (items.length === count) break;
    items.push(item);
  }
  return items;
}

/** Whether the keys of `list` may all fit in `room` units (each with the least value it can have), summed no further than `room`. */
function keysMayFit(list: KeyList, room: number): boolean {
  if (list.total * MIN_KEY_UNITS > room) return false;
  const keys = list.keys;
  let units = 0;
  for (let index = 0; index < keys.length; index++) if ((units += keys[index]!.length + MIN_KEY_UNITS) > room) return false;
  return true;
}

/** All of `keys`, as a `KeyList`. */
function allKeys(keys: readonly string[]): KeyList {
  return { keys, total: keys.length };
}

/**
 * Whether `items.slice()` reads `items` as the walker would, item by item and nothing else: a
 * plain array (no subclass whose constructor `slice` would call, no Proxy whose traps it would).
 */
function isSliceable(items: readonly unknown[]): boolean {
  // A Proxy first (cheaper, and no trap of its own runs).
  return !types.isProxy(items) && Object.getPrototypeOf(items) === Array.prototype && !Object.hasOwn(items, 'constructor');
}

/** Items `start` to `end` (excluded) of an array `slice` should not touch (a subclass, a Proxy), read one by one. */
function readItems(items: readonly unknown[], start: number, end: number): unknown[] {
  const chunk: unknown[] = [];
  for (let index = start; index < end; index++) chunk.push(items[index]);
  return chunk;
}

function viewName(view: ArrayBufferView): string {
  if (Buffer.isBuffer(view)) return 'Buffer';
  return Object.prototype.toString.call(view).slice(8, -1); // "[object Uint8Array]" -> "Uint8Array"
}

function functionName(fn: { name?: unknown }): string {
  try {
    return typeof fn.name === 'string' && fn.name !== '' ? fn.name : 'anonymous';
  } catch {
    return 'anonymous';
  }
}

/**
 * `JSON.stringify(text)`, without the engine's serialiser when there is nothing to escape (the
 * common case): a short text is checked here (the call would cost more than the copy), a long one
 * by a regular expression, several times faster than the serialiser on Node 24.
 */
function quote(text: string): string {
  const length = text.length;
  if (length > QUOTE_SCAN_MAX) return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    // A control character, a quote or a backslash is escaped; a surrogate may be a lone one (escaped too).
    if (code < 32 || code === 34 || code === 92 || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/** A character `JSON.stringify` may escape (control, quote, backslash, surrogate: a lone one is escaped). */
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\ud7ff\ue000-\uffff]/;

/** A thrown value's message, never throwing itself, at most 200 characters. */
function describe(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? error.message : String(error);
  } catch {
    text = 'an unreadable value';
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
