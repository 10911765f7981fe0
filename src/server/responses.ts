import type { z } from 'zod';
import type { SpanControl } from '../models/index.js';
import { MAX_ISSUES_IN_MESSAGE, MAX_REPORTED_ISSUES } from './limits.js';

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
  /** How many issues a validation found, when `errors` lists only the first ones. */
  error_count?: number;
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

/** The `errors` map of zod issues: field path (dot-joined, `prefix` first) -> the first message, at most `MAX_REPORTED_ISSUES` paths. */
export function issuesToErrors(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): Record<string, string> {
  return collectErrors(issues, prefix).errors;
}

/** The `errors` map and how many distinct paths the issues have (the map may hold fewer). */
function collectErrors(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): { errors: Record<string, string>; paths: number } {
  const errors: Record<string, string> = {};
  const seen = new Set<string>();
  for (const issue of issues) {
    const path = [...prefix, ...issue.path].map(String).join('.') || 'body';
    if (seen.has(path)) continue;
    seen.add(path);
    if (seen.size <= MAX_REPORTED_ISSUES) errors[path] = issue.message;
  }
  return { errors, paths: seen.size };
}

/**
 * A 422 `validation_error` outcome from zod issues. The body names at most `MAX_REPORTED_ISSUES`
 * fields in `errors` and `MAX_ISSUES_IN_MESSAGE` in the message; when that is not all of them,
 * `error_count` says how many fields had issues (`issueCount`, when the caller counted further than
 * `issues` goes). So the answer stays small whatever the request.
 */
export function validationFailure(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = [], issueCount?: number): Outcome {
  const { errors, paths } = collectErrors(issues, prefix);
  const count = issueCount ?? paths;
  const fields = Object.keys(errors);
  const cut = count > fields.length;
  const shown = fields.slice(0, MAX_ISSUES_IN_MESSAGE).join(', ');
  const more = cut || fields.length > MAX_ISSUES_IN_MESSAGE ? `, … ${count} in all` : '';
  const body: ErrorBody = { status: 'error', code: 'validation_error', message: `The request is invalid (${shown}${more}): fix the fields listed in \`errors\``, errors };
  if (cut) body.error_count = count;
  return { statusCode: 422, body, json: JSON.stringify(body) };
}
