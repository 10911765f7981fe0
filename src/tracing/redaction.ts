import type { KeyWatch } from './serialize.js';

/**
 * Redaction of payload and result snapshots: the JSON text the serialiser made (never the user's
 * object) is checked against the configured keys and, only when one may occur, parsed, masked and
 * written again. The common case, no sensitive key, costs one regular-expression scan of the text.
 *
 * Key rule: a key is masked when its name, lower-cased with `-` and `_` removed, ends with an entry
 * (also normalised): `token` masks `token`, `access_token`, `X-CSRF-Token`, but not `max_tokens`.
 * An entry with dots is a path from the payload's root (`user.ssn`, `messages.*.content`; `*` is any
 * one key or index), compared segment by segment (normalised, whole names).
 */

/** The keys masked when the `redact` option is not given. */
export const DEFAULT_REDACT_KEYS: readonly string[] = Object.freeze(['password', 'secret', 'token', 'apiKey', 'api_key', 'authorization', 'cookie']);
/** What a masked value becomes. */
export const REDACTED = '[REDACTED]';
/** What a payload becomes when the `redactPayload` hook throws or returns something unserialisable. */
export const REDACTION_FAILED_JSON = '{"redacted":"redaction_failed"}';
/** What a payload becomes when its span type captures no content (see `contentPolicy`). */
export const NO_CONTENT_JSON = '{"redacted":"not_captured"}';

/** What `redactPayload` is told about the payload it gets. */
export interface RedactContext {
  /** The span type's name. */
  readonly spanType: string;
  /** The span's payload, or its result payload. */
  readonly kind: 'payload' | 'result';
}

/**
 * Custom redaction: gets a copy of the payload (already key-masked), returns what to send (or
 * `undefined` to send the copy as it left it). Called for every payload and result.
 */
export type RedactPayload = (payload: Record<string, unknown>, context: RedactContext) => unknown;

/** Key matching compiled from a list of keys and paths. */
export interface RedactRules {
  /** Normalised key suffixes. */
  readonly keys: readonly string[];
  /** Paths as normalised segments (`*` any). */
  readonly paths: readonly (readonly string[])[];
  /**
   * The normalised names a masked key may end with (entries, and the last segment of paths), for the
   * scan of the JSON text; `undefined`: always walk (a path ends in `*`).
   */
  readonly filter: readonly string[] | undefined;
  /**
   * `filter` as the serialiser's per-key check (see `PayloadSerializer.serialize`): whether a key,
   * normalised, ends with one of its names. `undefined` when `filter` is.
   */
  readonly watch: KeyWatch | undefined;
}

/** A key as rules compare it: lower case, without `-` and `_`. */
export const normalise = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

/** Compiles `entries` (keys and dotted paths). `undefined` when there is nothing to mask. */
export function compileRules(entries: readonly string[]): RedactRules | undefined {
  const keys: string[] = [];
  const paths: string[][] = [];
  const last = new Set<string>();
  let unfiltered = false;
  for (const entry of entries) {
    if (entry.includes('.')) {
      const segments = entry.split('.').map((segment) => (segment === '*' ? '*' : normalise(segment)));
      paths.push(segments);
      if (segments.at(-1) === '*') unfiltered = true;
      else last.add(segments.at(-1)!);
    } else {
      keys.push(normalise(entry));
      last.add(normalise(entry));
    }
  }
  if (keys.length === 0 && paths.length === 0) return undefined;
  const filter = unfiltered ? undefined : [...last];
  return { keys, paths, filter, watch: filter === undefined ? undefined : new KeyNames(filter) };
}

/**
 * The names a masked key may end with, as a `KeyWatch` for the serialiser, which asks about every
 * key of every payload: the names are sorted by their last character, so that most keys are
 * answered from their own last character alone, without allocating.
 */
class KeyNames implements KeyWatch {
  readonly #names: readonly string[];
  /** The names by the code of their last character (ASCII only; others are compared in full). */
  readonly #byLast: (readonly string[] | undefined)[] = [];

  constructor(names: readonly string[]) {
    this.#names = names;
    for (let code = 0; code < 128; code++) {
      const ending = names.filter((name) => name.charCodeAt(name.length - 1) === code);
      this.#byLast.push(ending.length === 0 ? undefined : ending);
    }
  }

  watches(key: string): boolean {
    let index = key.length - 1;
    let code = key.charCodeAt(index);
    while (code === DASH || code === UNDERSCORE) code = key.charCodeAt(--index);
    if (index < 0) return false; // no character but - and _: normalised, the empty name
    // A non-ASCII last character may lower-case to an ASCII one (the Kelvin sign): compared in full.
    if (code > 127) return nameMatches(this.#names, key);
    if (code >= 65 && code <= 90) code += 32;
    const names = this.#byLast[code];
    return names !== undefined && nameMatches(names, key);
  }
}

const QUOTE = 34;
const BACKSLASH = 92;
const DASH = 45;
const UNDERSCORE = 95;

/**
 * Whether `json` (text from `JSON.stringify`: every key is followed by `":` with no space) may hold a
 * key that `rules` mask. Looks only at the keys' ends, without allocating: cheap on the hot path.
 * False positives (a `":` inside a string value) only cost a walk.
 */
export function mayMatch(rules: RedactRules, json: string): boolean {
  const names = rules.filter;
  if (names === undefined) return true;
  for (let at = json.indexOf('":'); at !== -1; at = json.indexOf('":', at + 2)) {
    // An escaped quote (`\"`) may end a key or sit in a value: let the walk decide.
    if (json.charCodeAt(at - 1) === BACKSLASH) return true;
    for (const name of names) if (keyEndsWith(json, at, name)) return true;
  }
  return false;
}

function nameMatches(names: readonly string[], key: string): boolean {
  for (const name of names) if (nameEndsWith(key, name)) return true;
  return false;
}

/** Whether `key`, normalised, ends with `name` (normalised), without allocating. */
function nameEndsWith(key: string, name: string): boolean {
  let index = key.length - 1;
  for (let at = name.length - 1; at >= 0; at--) {
    let code = key.charCodeAt(index);
    while (code === DASH || code === UNDERSCORE) code = key.charCodeAt(--index);
    if (index < 0) return false;
    if (code >= 65 && code <= 90) code += 32;
    if (code !== name.charCodeAt(at)) return code > 127 && normalise(key).endsWith(name);
    index--;
  }
  return true;
}

/** Whether the key whose closing quote is at `end` in `json`, normalised, ends with `name`. */
function keyEndsWith(json: string, end: number, name: string): boolean {
  let index = end - 1;
  for (let at = name.length - 1; at >= 0; at--) {
    let code = json.charCodeAt(index);
    while (code === DASH || code === UNDERSCORE) code = json.charCodeAt(--index);
    if (code === QUOTE || index < 0) return false;
    // ASCII upper case to lower case; other characters compare as they are.
    if (code >= 65 && code <= 90) code += 32;
    if (code !== name.charCodeAt(at)) {
      // A non-ASCII name (rare): compare as normalise() would.
      return code > 127 && normalise(json.slice(json.lastIndexOf('"', end - 1) + 1, end)).endsWith(name);
    }
    index--;
  }
  return true;
}

/** `value` (parsed JSON) with every matching key's value replaced by `REDACTED`, in place. Returns whether it changed. */
export function maskInPlace(rules: RedactRules, value: unknown): boolean {
  return walk(rules, value, rules.paths.length > 0 ? [] : undefined);
}

function keyMatches(rules: RedactRules, key: string): boolean {
  if (rules.keys.length === 0) return false;
  const name = normalise(key);
  for (const suffix of rules.keys) if (name.endsWith(suffix)) return true;
  return false;
}

function pathMatches(rules: RedactRules, path: readonly string[]): boolean {
  for (const pattern of rules.paths) {
    if (pattern.length !== path.length) continue;
    let index = 0;
    while (index < path.length && (pattern[index] === '*' || pattern[index] === path[index])) index++;
    if (index === path.length) return true;
  }
  return false;
}

/** `path`: the normalised segments down to `value`, or `undefined` when no path rule exists. */
function walk(rules: RedactRules, value: unknown, path: string[] | undefined): boolean {
  if (typeof value !== 'object' || value === null) return false;
  let changed = false;
  const container = value as Record<string, unknown>;
  for (const key of Object.keys(container)) {
    const child = path === undefined ? undefined : [...path, normalise(key)];
    if ((!Array.isArray(value) && keyMatches(rules, key)) || (child !== undefined && pathMatches(rules, child))) {
      if (container[key] !== REDACTED) {
        container[key] = REDACTED;
        changed = true;
      }
    } else if (walk(rules, container[key], child)) changed = true;
  }
  return changed;
}

/** Data categories whose presence makes a span type capture no content by default (see `contentPolicy`). */
const SENSITIVE_CATEGORIES = [
  'authentication_and_secrets',
  'health_and_medical',
  'financial_information',
  'criminal_justice',
  'minors_data',
  'gdpr_racial_or_ethnic_origin',
  'gdpr_political_opinions',
  'gdpr_religious_or_philosophical_beliefs',
  'gdpr_trade_union_membership',
  'gdpr_genetic_data',
  'gdpr_biometric_for_identification',
  'gdpr_sex_life_or_sexual_orientation',
] as const;

/**
 * Whether a side (params or result) of a span type with these data categories captures no content by
 * default: one of the sensitive categories is `'included'`, or the classification is `restricted` or
 * `secret`. A span type that sets `redact` itself decides instead.
 */
export function capturesNoContent(categories: unknown): boolean {
  if (typeof categories !== 'object' || categories === null) return false;
  const record = categories as Record<string, unknown>;
  return SENSITIVE_CATEGORIES.some((category) => record[category] === 'included') || record['classification'] === 'restricted' || record['classification'] === 'secret';
}
