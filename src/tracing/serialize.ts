/**
 * Payload snapshots: any value in, the JSON text of an object out, never a throw. Plain data (the
 * common case) goes through one cheap type scan and `JSON.stringify`; values JSON cannot carry
 * (circular references, BigInt, functions, symbols, Errors, Map/Set, a `toJSON` or getter that
 * throws) go through a walker that replaces them with readable stand-ins.
 */

import { errorText } from '../util/error-text.js';

/** The text sent when even the walker fails (e.g. a Proxy that throws on every access). */
export const UNSERIALIZABLE_JSON = '{"_prefactor_error":"payload could not be serialised"}';

/** How deep the walker goes before writing `"[MaxDepth]"`; also the cap of the fast scan. */
const MAX_DEPTH = 64;
const SCAN_DEPTH = 8;
const OBJECT_PROTOTYPE = Object.prototype;

/**
 * The JSON text of an object holding `value`: a plain object is sent as itself, anything else
 * (a string, an array, a Date, a Map, a class instance with `toJSON`...) as `{"value": ...}`.
 * `undefined` gives `{}`.
 */
export function serializePayload(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return '{}';
    case 'boolean':
      return value ? '{"value":true}' : '{"value":false}';
    case 'number':
      // A small integer (a count, a status) is common: the text is short enough to be built flat.
      if (Number.isInteger(value) && value > -100 && value < 1000) return '{"value":' + value + '}';
      break;
    case 'object':
      if (isPlainObject(value)) return serializeObject(value);
  }
  return serializeObject({ value });
}

/** Whether `value` is an object literal or `Object.create(null)` (what is sent as itself). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return (prototype === OBJECT_PROTOTYPE || prototype === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

function serializeObject(object: object): string {
  try {
    if (!hasAwkwardValue(object, 0)) return flat(JSON.stringify(object));
  } catch {
    // A toJSON or getter that throws, a cycle deeper than the scan: the walker copes.
  }
  try {
    return flat(JSON.stringify(toJsonSafe(object, [])));
  } catch {
    return UNSERIALIZABLE_JSON;
  }
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

/**
 * Whether a value holds something `JSON.stringify` would throw on or silently turn into `{}`.
 * Looks `SCAN_DEPTH` levels deep; deeper values are left to `JSON.stringify` (which throws on a
 * cycle, sending them to the walker).
 */
function hasAwkwardValue(value: object, depth: number): boolean {
  if (depth > SCAN_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (isAwkward(item, depth)) return true;
    return false;
  }
  for (const key in value) if (isAwkward((value as Record<string, unknown>)[key], depth)) return true;
  return false;
}

function isAwkward(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'bigint':
    case 'function':
    case 'symbol':
      return true;
    case 'object':
      if (value === null) return false;
      if (value instanceof Map || value instanceof Set || value instanceof Error) return true;
      return hasAwkwardValue(value, depth + 1);
    default:
      return false;
  }
}

/** A JSON-safe copy. `ancestors` holds the objects on the path, to spot cycles (not shared refs). */
function toJsonSafe(value: unknown, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    case 'symbol':
      return value.toString();
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (ancestors.includes(value)) return '[Circular]';
  if (ancestors.length >= MAX_DEPTH) return '[MaxDepth]';
  ancestors.push(value);
  try {
    return copyObject(value, ancestors);
  } finally {
    ancestors.pop();
  }
}

function copyObject(value: object, ancestors: object[]): unknown {
  if (value instanceof Error) {
    const copy: Record<string, unknown> = { type: value.name, message: value.message, stack: value.stack };
    if (value.cause !== undefined) copy['cause'] = toJsonSafe(value.cause, ancestors);
    return copy;
  }
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : toJsonSafe(item, ancestors)));
  if (value instanceof Set) return [...value].map((item) => toJsonSafe(item, ancestors));
  if (value instanceof Map) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of value) copy[String(key)] = toJsonSafe(item, ancestors);
    return copy;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    try {
      return toJsonSafe(toJSON.call(value), ancestors);
    } catch (error) {
      return `[toJSON threw: ${errorText(error, 'message')}]`;
    }
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    let item: unknown;
    try {
      item = (value as Record<string, unknown>)[key];
    } catch (error) {
      item = `[getter threw: ${errorText(error, 'message')}]`;
    }
    if (item !== undefined) copy[key] = toJsonSafe(item, ancestors);
  }
  return copy;
}
