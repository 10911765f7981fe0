import type { FinishStatus } from '../models/index.js';
import { OUTCOME_OK, OUTCOME_CANCELLED, describeError, isAbortError, settle, type Outcome } from './settle.js';
import type { SpanType } from './span-types.js';
import { stackIsLow } from './stack-guard.js';
import { defer, deferredWork } from './deferred.js';

/** What a span reports its end to (the tracer's recorder). */
export interface SpanOwner {
  /**
   * Called exactly once per span. `result` is the result value (`undefined`: none); `isError` says
   * it is the `{error}` payload of a failed or aborted span (not checked against the result schema).
   */
  endSpan(span: Span, instance: unknown, type: SpanType | undefined, status: FinishStatus, result: unknown, isError: boolean): void;
  /** Reports a misuse of the span handle (`setResult` after the end...). */
  misuse(message: string, details: Record<string, unknown>): void;
}

/** The result of a span ended by shutdown (see `cancelSpanAtShutdown`). */
const SHUTDOWN_RESULT = { reason: 'shutdown' } as const;
const OPEN = 0;
const ENDED = 1;
const ENDED_REPORTED = 2; // ended, and a late call was already reported: report once per span
const NOOP = 3; // the handle of an untraced call: every method does nothing

/**
 * Ends an open span as `cancelled` with `{reason: 'shutdown'}` (shutdown, for a span that never
 * ended); what `fn` does afterwards no longer changes it. `false` when it had already ended.
 */
export let cancelSpanAtShutdown: (span: Span) => boolean;

/**
 * The open spans of a recorder, for shutdown to end (see `Recorder.cancelUnendedAtShutdown`): a
 * list threaded through the spans themselves, newest first, so that opening and ending a span
 * costs a few field writes, not a hash-table insertion and deletion (and no identity hash is made
 * for every span).
 */
export class OpenSpans {
  /** Spans in the list. */
  size = 0;
  /** @internal The newest span in the list. */
  newest: Span | undefined = undefined;
}

/** Adds an open span to `list`. */
export let trackOpenSpan: (list: OpenSpans, span: Span) => void;
/** Takes a span out of the list it is in, if any (it ended). */
export let untrackOpenSpan: (span: Span) => void;
/** The spans in `list`, newest first, each with its instance. */
export let openSpansNewestFirst: (list: OpenSpans) => { readonly span: Span; readonly instance: unknown }[];

/**
 * The handle `fn` receives from `withSpan`. It ends by itself when `fn` returns, its promise
 * settles or its stream finishes; `cancel()` ends it early.
 */
export class Span<Result = unknown> {
  /** The span's id (sent as `id`); `''` when the call is not traced. */
  readonly id: string;
  /** The id of the agent instance the span belongs to; `''` when not traced. */
  readonly instanceId: string;
  /** The enclosing span's id, or `undefined` for a root span. */
  readonly parentId: string | undefined;
  /** The span type's name (`schema_name`). */
  readonly name: string;
  #owner: SpanOwner | undefined;
  #instance: unknown;
  #type: SpanType | undefined;
  #result: unknown;
  #hasResult = false;
  #state: number;
  // The list of open spans this span is in (see OpenSpans), and its neighbours there.
  #list: OpenSpans | undefined = undefined;
  #older: Span | undefined = undefined;
  #newer: Span | undefined = undefined;

  /** @internal Made by the tracer. */
  constructor(
    owner: SpanOwner | undefined,
    id: string,
    instanceId: string,
    instance: unknown,
    parentId: string | undefined,
    name: string,
    type: SpanType | undefined,
  ) {
    this.#owner = owner;
    this.id = id;
    this.instanceId = instanceId;
    this.#instance = instance;
    this.parentId = parentId;
    this.name = name;
    this.#type = type;
    this.#state = owner === undefined ? NOOP : OPEN;
  }

  /** Whether the span has ended (always `true` for an untraced call's handle). */
  get ended(): boolean {
    return this.#state !== OPEN;
  }

  /**
   * Sets the result payload, overriding what `fn` returns. Checked against the span type's
   * `result` schema when it has one. The last call before the span ends wins.
   */
  setResult(result: Result): void {
    if (this.#state !== OPEN) return this.#late('setResult');
    this.#result = result;
    this.#hasResult = true;
  }

  /**
   * Ends the span now as `cancelled`, with `{reason}` as its result payload when a reason is
   * given. What `fn` does afterwards no longer changes the span.
   */
  cancel(reason?: string): void {
    if (this.#state !== OPEN) return this.#late('cancel');
    try {
      this.#end('cancelled', reason === undefined ? this.#explicitResult() : { reason }, false);
      // Out of stack at this very call only (see deferred.ts on coverage).
      /* c8 ignore next 7 */
    } catch {
      // Out of stack before the span ended (the bottom of a recursion): cancelled later (deferred.ts),
      // unless fn's return ended it first (then nothing to say: the user called cancel() in time).
      deferredWork.push(() => {
        if (this.#state === OPEN) this.cancel(reason);
      });
    }
  }

  /** @internal How `fn`'s value ended. Ignored once the span has ended. */
  [settle](outcome: Outcome, value: unknown): void {
    if (this.#state !== OPEN) return;
    if (outcome === OUTCOME_OK) this.#end('complete', this.#hasResult ? this.#result : value, false);
    else if (outcome === OUTCOME_CANCELLED) this.#end('cancelled', this.#explicitResult(), false);
    else this.#end(isAbortError(value) ? 'cancelled' : 'failed', { error: describeError(value) }, true);
  }

  static {
    trackOpenSpan = (list, span) => {
      const newest = list.newest;
      if (newest !== undefined) newest.#newer = span;
      span.#older = newest;
      span.#list = list;
      list.newest = span;
      list.size++;
    };
    untrackOpenSpan = (span) => {
      const list = span.#list;
      // Not in a list: a span beyond MAX_TRACKED_OPEN_SPANS (too slow a test, see recorder.ts).
      /* c8 ignore next */
      if (list === undefined) return;
      const older = span.#older;
      const newer = span.#newer;
      if (older !== undefined) older.#newer = newer;
      if (newer !== undefined) newer.#older = older;
      else list.newest = older;
      list.size--;
      span.#list = span.#older = span.#newer = undefined;
    };
    openSpansNewestFirst = (list) => {
      const spans: { span: Span; instance: unknown }[] = [];
      for (let span = list.newest; span !== undefined; span = span.#older) spans.push({ span, instance: span.#instance });
      return spans;
    };
    cancelSpanAtShutdown = (span) => {
      // Ended, its end still queued in a microtask (deep recursion, see #end): too rare a timing to test.
      /* c8 ignore next */
      if (span.#state !== OPEN) return false;
      span.#state = ENDED;
      span.#result = undefined;
      // As an error payload: not checked against the span type's result schema.
      span.#owner!.endSpan(span, span.#instance, span.#type, 'cancelled', SHUTDOWN_RESULT, true);
      return true;
    };
  }

  #explicitResult(): unknown {
    return this.#hasResult ? this.#result : undefined;
  }

  /**
   * Ends the span. Out of stack at the bottom of a recursion (calling endSpan, or deferring it), the
   * span is left open and the error thrown, for the caller to end it again later (deferred.ts):
   * endSpan records nothing when it throws (it defers its own work when the stack runs out inside).
   */
  #end(status: FinishStatus, result: unknown, isError: boolean): void {
    this.#state = ENDED;
    const owner = this.#owner!;
    try {
      // Deep in a recursion that ran out of stack (the span failed with a RangeError), the end is
      // recorded from a microtask, where the stack is empty, instead of overflowing half-way.
      if (stackIsLow()) defer(() => owner.endSpan(this, this.#instance, this.#type, status, result, isError));
      else owner.endSpan(this, this.#instance, this.#type, status, result, isError);
      // Out of stack at this very call only (see deferred.ts on coverage).
      /* c8 ignore next 4 */
    } catch (error) {
      this.#state = OPEN;
      throw error;
    }
    // A handle kept by user code must not keep the result alive.
    this.#result = undefined;
  }

  #late(method: string): void {
    if (this.#state !== ENDED) return;
    this.#state = ENDED_REPORTED;
    this.#owner!.misuse(`span.${method}() was called after the span ended; it is ignored`, { spanId: this.id, spanType: this.name });
  }
}

/** The handle of an untraced call (disabled tracer, after shutdown): every method is a no-op. */
export const NOOP_SPAN: Span<never> = new Span(undefined, '', '', undefined, undefined, '', undefined);

let cachedMs = NaN;
let cachedIso = '';
let cachedSecond = NaN;
// The character codes of `YYYY-MM-DDTHH:MM:SS.` for `cachedSecond`.
const secondCodes = new Uint8Array(20);

/**
 * `new Date(ms).toISOString()`, as one flat string, about ten times faster: spans starting or ending
 * in the same millisecond share one string, and the part up to the second is computed once per
 * second. Expects an integer (`Date.now()`).
 */
export function isoTime(ms: number): string {
  if (ms === cachedMs) return cachedIso;
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const text = new Date(second * 1000).toISOString();
    // Years beyond 9999 and before 0 have a longer format: leave them to Date.
    if (text.length !== 24) return new Date(ms).toISOString();
    cachedSecond = second;
    for (let index = 0; index < 20; index++) secondCodes[index] = text.charCodeAt(index);
  }
  const millis = ms - second * 1000;
  const c = secondCodes;
  cachedMs = ms;
  // Built from character codes: concatenation would leave a rope that lives as long as the queued span.
  cachedIso = String.fromCharCode(
    c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!, c[10]!, c[11]!, c[12]!, c[13]!, c[14]!, c[15]!, c[16]!, c[17]!, c[18]!, c[19]!,
    48 + Math.floor(millis / 100), 48 + (Math.floor(millis / 10) % 10), 48 + (millis % 10), 90,
  );
  return cachedIso;
}
