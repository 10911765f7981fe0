import type { z } from 'zod';
import type { SpanControl } from '../models/index.js';

/** A success body as stored for idempotent replay: `{status: 'success', details, control?}`. */
export interface SuccessBody {
  status: 'success';
  details: unknown;
  control?: SpanControl;
}

/** An error body: `{status: 'error', code, message, errors?}`. */
export interface ErrorBody {
  status: 'error';
  code: string;
  message: string;
  errors?: Record<string, string>;
}

/** What an operation produced: the HTTP status and the body (or bulk output). */
export interface Outcome {
  statusCode: number;
  body: SuccessBody | ErrorBody;
}

export function success(details: unknown, control?: SpanControl): Outcome {
  return { statusCode: 200, body: control ? { status: 'success', details, control } : { status: 'success', details } };
}

export function failure(statusCode: number, code: string, message: string, errors?: Record<string, string>): Outcome {
  return { statusCode, body: errors ? { status: 'error', code, message, errors } : { status: 'error', code, message } };
}

/** The `errors` map of a zod error: field path (dot-joined, `prefix` first) -> message. */
export function issuesToErrors(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const path = [...prefix, ...issue.path].map(String).join('.') || 'body';
    errors[path] ??= issue.message;
  }
  return errors;
}

/** A 422 `validation_error` outcome from a zod error. */
export function validationFailure(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): Outcome {
  const errors = issuesToErrors(issues, prefix);
  const fields = Object.keys(errors).join(', ');
  return failure(422, 'validation_error', `The request is invalid (${fields}): fix the fields listed in \`errors\``, errors);
}
