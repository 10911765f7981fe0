import { invalidOption } from '../util/option-checks.js';
import { DEFAULT_REDACT_KEYS, normalise, type RedactPayload } from './redaction.js';

/** Options of the tracer that keep sensitive values out of what is sent. */
export interface RedactionOptions {
  /**
   * Keys (`'password'`) and key paths (`'user.ssn'`, `'messages.*.content'`) whose values are sent as
   * `"[REDACTED]"`, anywhere in payloads and results. A key matches case-insensitively, ignoring `-`
   * and `_`, and as a suffix (`token` masks `access_token`, not `max_tokens`). Replaces the default
   * set: extend it with `[...DEFAULT_REDACT_KEYS, 'ssn']`; `false` turns key masking off.
   * @default DEFAULT_REDACT_KEYS: password, secret, token, apiKey, api_key, authorization, cookie
   */
  readonly redact?: readonly string[] | false;
  /**
   * Custom redaction, after the keys: gets a copy of each payload and result (never your object) with
   * `{spanType, kind: 'payload' | 'result'}`, returns what to send (an object), or `undefined` to send
   * the copy as modified. A hook that throws or returns anything else makes the whole payload
   * `{"redacted":"redaction_failed"}` (counted in `redactionFailures`, logged once).
   * @default undefined
   */
  readonly redactPayload?: RedactPayload;
}

export const REDACTION_OPTION_KEYS = ['redact', 'redactPayload'] as const;

/** `RedactionOptions` resolved. */
export interface ResolvedRedactionOptions {
  readonly redact: readonly string[];
  readonly redactPayload: RedactPayload | undefined;
}

/** Validates the redaction options (throws a `PrefactorConfigError` naming the option) and fills the defaults. */
export function resolveRedactionOptions(options: RedactionOptions): ResolvedRedactionOptions {
  return {
    redact: options.redact === false ? [] : checkRedactList('redact', options.redact ?? DEFAULT_REDACT_KEYS),
    redactPayload: options.redactPayload === undefined ? undefined : typeof options.redactPayload === 'function' ? options.redactPayload : invalidOption('redactPayload', 'a function', options.redactPayload),
  };
}

/** Checks a list of keys and key paths: non-empty strings without empty segments. */
export function checkRedactList(name: string, value: unknown): readonly string[] {
  // A segment that normalises to nothing (`''`, `'-'`) would match every key.
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string' || entry.split('.').some((segment) => normalise(segment) === ''))) {
    invalidOption(name, "an array of keys or dotted key paths (e.g. ['password', 'user.ssn'])", value);
  }
  return [...(value as string[])];
}
