import { errorText as textOfError } from '../util/error-text.js';
import { safeLog } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { DROP_REASONS } from '../sinks/span-sink.js';
import type { DropReason } from '../sinks/span-sink.js';

/** A storm ends after this long without a drop of its reason, in milliseconds. */
export const STORM_QUIET_MS = 1000;
/** A storm that goes on is reported at least this often, in milliseconds. */
export const STORM_REPORT_MS = 30_000;

const DROP_HINTS: Record<DropReason, string> = {
  queue_overflow: 'the queue is full (raise `maxQueueSize` / `maxQueueBytes`, or check that the API is reachable)',
  rejected_by_server: 'the API rejected them permanently',
  dependency_dropped: 'an operation they depend on was dropped',
  shutdown_timeout: 'they were still pending when shutdown timed out (raise `shutdownTimeoutMs`)',
  after_shutdown: 'they arrived after shutdown()',
  serialization: 'their payload could not be serialised',
  parent_not_found:
    'they continue a trace from another process (continueFrom) whose instance or parent span did not reach the API in time (raise `remoteParentWaitMs`, or check that the calling process delivers)',
};

/** An error's stack (or its text, for a thrown non-Error), for an `error` log line. */
export const errorText = (error: unknown): string => textOfError(error, 'stack');

interface Storm {
  count: number;
  startedAt: number;
  lastAt: number;
}

/**
 * The operations given up, by reason, and the warnings about them: one per storm of drops of a
 * reason, with its count. The only place drops are counted.
 */
export class DropLog {
  readonly #dropped: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  readonly #logger: Logger;
  readonly #storms = new Map<DropReason, Storm>();
  #timer: NodeJS.Timeout | undefined;
  /** Runs `fn` outside the user's async context (timers started from a hot-path call). */
  readonly #detach: (fn: () => void) => void;
  readonly #quietMs: number;
  readonly #reportMs: number;
  /** Why operations were pending at the shutdown deadline, as things stand (the API's health), if known. */
  shutdownHint: (() => string) | undefined;

  constructor(logger: Logger, detach: (fn: () => void) => void, quietMs = STORM_QUIET_MS, reportMs = STORM_REPORT_MS) {
    this.#logger = logger;
    this.#detach = detach;
    this.#quietMs = quietMs;
    this.#reportMs = reportMs;
  }

  /** Counts `count` operations dropped for `reason`; warns once per storm, with its count. */
  drop(reason: DropReason, count: number): void {
    this.#dropped[reason] += count;
    const now = Date.now();
    const storm = this.#storms.get(reason);
    if (storm) {
      storm.count += count;
      storm.lastAt = now;
      return;
    }
    this.#storms.set(reason, { count, startedAt: now, lastAt: now });
    if (this.#timer === undefined) this.#detach(() => this.#arm(this.#quietMs));
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#tick(), delayMs).unref();
  }

  #tick(): void {
    this.#timer = undefined;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [reason, storm] of this.#storms) {
      const quietAt = storm.lastAt + this.#quietMs;
      const dueAt = storm.startedAt + this.#reportMs;
      if (now >= quietAt || now >= dueAt) this.#report(reason, storm);
      else next = Math.min(next, quietAt, dueAt);
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next - now);
  }

  #report(reason: DropReason, storm: Storm): void {
    this.#storms.delete(reason);
    const hint = reason === 'shutdown_timeout' && this.shutdownHint !== undefined ? this.shutdownHint() : DROP_HINTS[reason];
    safeLog(this.#logger, 'warn', `Dropped ${storm.count} telemetry operation(s) (${reason}): ${hint}`, {
      reason,
      count: storm.count,
      totalDropped: this.#dropped[reason],
    });
  }

  /** Reports every storm under way now (at flush and shutdown, so a short-lived process still says). */
  reportStorms(): void {
    for (const [reason, storm] of this.#storms) this.#report(reason, storm);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A copy of the counts by reason. */
  snapshot(): Record<DropReason, number> {
    return { ...this.#dropped };
  }
}
