import { safeLog, type Logger } from '../util/logger.js';
import {
  REDACTION_FAILED_JSON,
  capturesNoContent,
  compileRules,
  maskInPlace,
  mayMatch,
  type RedactPayload,
  type RedactRules,
} from './redaction.js';
import type { SpanType } from './span-types.js';
import { KEYS_CLEAR, KEYS_SEEN } from './serialize.js';

/** How the payloads of one span type are redacted (see `Redactor.policy`). */
export interface Policy {
  readonly rules: RedactRules | undefined;
  /** Payloads (params) are replaced whole by `NO_CONTENT_JSON`. */
  readonly noPayload: boolean;
  readonly noResult: boolean;
}

/**
 * The tracer's redaction: applies the `redact` keys (per span type, its own `redact` or data-risk
 * default) and the `redactPayload` hook to each snapshot. Never throws; a hook that fails makes the
 * whole payload `{"redacted":"redaction_failed"}`, counted and logged once.
 */
export class Redactor {
  /** Payloads replaced because the hook threw or returned something unserialisable. */
  failures = 0;
  readonly #entries: readonly string[];
  readonly #hook: RedactPayload | undefined;
  readonly #logger: Logger;
  readonly #plain: Policy;
  readonly #byType = new Map<SpanType, Policy>();

  constructor(entries: readonly string[], hook: RedactPayload | undefined, logger: Logger) {
    this.#entries = entries;
    this.#hook = hook;
    this.#logger = logger;
    this.#plain = { rules: compileRules(entries), noPayload: false, noResult: false };
  }

  /** How the payloads of span type `type` (`undefined`: a span named by a string) are redacted. */
  policy(type: SpanType | undefined): Policy {
    if (type === undefined) return this.#plain;
    let policy = this.#byType.get(type);
    if (policy === undefined) {
      const own = type.redact;
      policy =
        own === undefined
          ? {
              rules: this.#plain.rules,
              noPayload: capturesNoContent(type.dataRisk?.params_data_categories),
              noResult: capturesNoContent(type.dataRisk?.result_data_categories),
            }
          : { rules: compileRules([...this.#entries, ...own]), noPayload: false, noResult: false };
      this.#byType.set(type, policy);
    }
    return policy;
  }

  /**
   * `json` (the snapshot of `value`, a payload or result of span type `name`, serialised with
   * `policy.rules?.watch`; `keys`: the serialiser's `lastKeys`) as it may be sent. A side whose
   * policy captures no content (`noPayload`, `noResult`) is the caller's to replace.
   */
  apply(json: string, keys: number, value: unknown, policy: Policy, name: string, kind: 'payload' | 'result'): string {
    const rules = policy.rules;
    const hook = this.#hook;
    if (hook === undefined && (rules === undefined || !mayHoldKey(rules, keys, json))) return json;
    let stage = 'masking keys';
    try {
      const copy = JSON.parse(json) as Record<string, unknown>;
      const masked = rules !== undefined && maskInPlace(rules, copy);
      if (hook === undefined) return masked ? JSON.stringify(copy) : json;
      stage = 'redactPayload';
      const returned = hook(copy, { spanType: name, kind });
      const result = returned === undefined ? copy : returned;
      if (typeof result !== 'object' || result === null || Array.isArray(result)) throw new TypeError(`it returned ${Array.isArray(result) ? 'an array' : typeof result}, not an object`);
      return JSON.stringify(result);
    } catch (error) {
      if (this.failures++ === 0) {
        safeLog(
          this.#logger,
          'error',
          `Redaction failed (${stage}) for a ${kind} of span type "${name}": ${error instanceof Error ? error.message : String(error)}. ` +
            'The whole payload is sent as {"redacted":"redaction_failed"} (this and later failures are counted in redactionFailures)',
        );
      }
      return REDACTION_FAILED_JSON;
    }
  }
}

/**
 * Whether the snapshot `json` may hold a key that `rules` mask: as the serialiser's scan saw it
 * (`keys`); when the walker wrote it instead, from the text, whose length the payload budget bounds
 * (the value itself may be far larger than what was sent: a million keys, cut to the budget).
 */
function mayHoldKey(rules: RedactRules, keys: number, json: string): boolean {
  if (rules.filter === undefined || keys === KEYS_SEEN) return true;
  if (keys === KEYS_CLEAR) return false;
  return mayMatch(rules, json);
}
