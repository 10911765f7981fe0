/**
 * Validation of option objects. Configuration is the one place the SDK throws: every failure names
 * the option, what was expected and what was received, e.g.
 * "Expected `maxQueueSize` to be a positive integer, got `0` (number)".
 */

import { PrefactorConfigError } from '../errors.js';

export { PrefactorConfigError };

/** How a received value is shown in a message: its JSON (cut to 60 characters) and its type. */
export function describeValue(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'function' ? '[function]' : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `\`${shown}\` (${type})`;
}

/** Throws a `PrefactorConfigError` "Expected `name` to be <expected>, got <value> (<type>)". */
export function invalidOption(name: string, expected: string, value: unknown): never {
  throw new PrefactorConfigError(`Expected \`${name}\` to be ${expected}, got ${describeValue(value)}`);
}

/** Rejects keys of `options` that are not in `known`, naming the closest known key. */
export function rejectUnknownKeys(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new PrefactorConfigError(
        `Unknown option \`${key}\` for ${what}. Known options: ${known.map((k) => `\`${k}\``).join(', ')}`,
      );
    }
  }
}

/** Checks that `options` is undefined or a plain object. */
export function assertOptionsObject(what: string, options: unknown): asserts options is object | undefined {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new PrefactorConfigError(`Expected the ${what} options to be an object, got ${describeValue(options)}`);
  }
}

export const check = {
  positiveInteger(name: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) invalidOption(name, 'a positive integer', value);
    return value;
  },
  nonNegativeInteger(name: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) invalidOption(name, 'a non-negative integer', value);
    return value;
  },
  positiveNumber(name: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) invalidOption(name, 'a positive number', value);
    return value;
  },
  nonNegativeNumber(name: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalidOption(name, 'a non-negative number', value);
    return value;
  },
  nonEmptyString(name: string, value: unknown): string {
    if (typeof value !== 'string' || value.trim() === '') invalidOption(name, 'a non-empty string', value);
    return value;
  },
  boolean(name: string, value: unknown): boolean {
    if (typeof value !== 'boolean') invalidOption(name, 'a boolean', value);
    return value;
  },
  httpUrl(name: string, value: unknown): string {
    if (typeof value !== 'string' || !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      invalidOption(name, 'an http:// or https:// URL', value);
    }
    return value.replace(/\/+$/, '');
  },
  oneOf<const T extends readonly unknown[]>(name: string, value: unknown, allowed: T): T[number] {
    if (!allowed.includes(value)) invalidOption(name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
    return value as T[number];
  },
};
