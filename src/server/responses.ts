import type { z } from 'zod';
import type { SpanControl } from '../models/index.js';

/** A success body: `{status: 'success', details, control?}`. */
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

/**
 * What an operation produced: the HTTP status, the body (or bulk output), and the body as JSON text.
 * The text is made once: a bulk response is spliced from its items' texts, and a stored record's
 * text also makes its journal line.
 */
export interface Outcome {
  statusCode: number;
  body: SuccessBody | ErrorBody;
  json: string;
}

/** A 200 success; `detailsJson` is `details` as JSON text, when the caller has it already. */
export function success(details: unknown, control?: SpanControl, detailsJson = JSON.stringify(details)): Outcome {
  if (!control) return { statusCode: 200, body: { status: 'success', details }, json: `{"status":"success","details":${detailsJson}}` };
  return {
    statusCode: 200,
    body: { status: 'success', details, control },
    json: `{"status":"success","details":${detailsJson},"control":${JSON.stringify(control)}}`,
  };
}

/**
 * The outcome's JSON text as a client that sent `Prefer: return=minimal` (RFC 7240) gets it: a
 * success without its `details` (the resource it would echo), `control` kept; an error unchanged.
 * The delivery engine asks for this: it reads only status, code and control.
 */
export function minimalJson(outcome: Outcome): string {
  const { body } = outcome;
  if (body.status === 'error') return outcome.json;
  return body.control ? `{"status":"success","control":${JSON.stringify(body.control)}}` : '{"status":"success"}';
}

export function failure(statusCode: number, code: string, message: string, errors?: Record<string, string>): Outcome {
  const body: ErrorBody = errors ? { status: 'error', code, message, errors } : { status: 'error', code, message };
  return { statusCode, body, json: JSON.stringify(body) };
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
