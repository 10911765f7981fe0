import type { z } from 'zod';
import { ERROR_CODES } from '../errors.js';
import type { CallOptions } from '../http/transport.js';
import { PrefactorClientError } from '../http/errors.js';
import { describeIssues } from '../util/zod-issues.js';

function refuse(call: string, problem: string): PrefactorClientError {
  return new PrefactorClientError(`Invalid argument to ${call}: ${problem}. Nothing was sent; fix the argument and call again.`, {
    code: ERROR_CODES.invalidRequest,
  });
}

/** Parses `input` with `schema`, or throws a `PrefactorClientError` code `invalid_request` naming the fields. */
export function validateInput<S extends z.ZodType>(schema: S, input: unknown, call: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw refuse(call, describeIssues(result.error.issues));
  return result.data;
}

/** A path segment for an id: a non-empty string, URL-encoded. */
export function pathId(id: unknown, name: string, call: string): string {
  if (typeof id !== 'string' || id === '') throw refuse(call, `\`${name}\` must be a non-empty string, got ${id === null ? 'null' : typeof id}`);
  return encodeURIComponent(id);
}

/** Only the per-call options, so that nothing else of a caller's object reaches `request()`. */
export function callOptions(options: CallOptions = {}): CallOptions {
  const { signal, maxRetries, onRetry } = options;
  return { signal, maxRetries, onRetry };
}
