import { PrefactorApiError, PrefactorRetryExhaustedError } from '../http/errors.js';
import { safeLog } from '../util/logger.js';
import type { Logger } from '../util/logger.js';

/** For an `ApiHealth` that knows of no outbox (the sender's silent default). */
export const NOTHING_HELD = (): number => 0;

/**
 * What the user is told about the API as a whole (issue 14 item 12), once per episode, at `warn`:
 * - a refused token (401/403), at once, with the status, the API's origin and what to do;
 * - an API that cannot be reached, after the first failed redelivery (a single failed request is
 *   only a blip the engine retries), and again when it answers, with how long it was down;
 * - why operations were still pending at the shutdown deadline, so the advice fits the cause.
 * Never the token: only the origin of `apiUrl` (no credentials) and the error's own codes.
 */
export class ApiHealth {
  readonly #logger: Logger;
  readonly #origin: string;
  /** How many operations the outbox holds (for the outage warning). */
  readonly #held: () => number;
  /** The token refusal was said (until a request is answered again). */
  #authSaid = false;
  /** When the current run of unanswered requests began (ms since the epoch), or 0. */
  #downSince = 0;
  /** The cause of the last unanswered request, while the run goes on. */
  #cause = '';
  /** The outage was said: its recovery will be too. */
  #outageSaid = false;

  constructor(logger: Logger, apiUrl: string | undefined, held: () => number) {
    this.#logger = logger;
    this.#origin = originOf(apiUrl);
    this.#held = held;
  }

  /**
   * A request was answered (2xx, or an error status that is the API's own answer): the API is
   * reachable; `tokenTaken` unless the answer refused the token (a bulk item 401/403).
   */
  answered(tokenTaken = true, now = Date.now()): void {
    if (tokenTaken) this.#authSaid = false;
    if (this.#outageSaid) {
      const seconds = ((now - this.#downSince) / 1000).toFixed(1);
      safeLog(this.#logger, 'warn', `The API at ${this.#origin} answers again, after ${seconds} s down: the held operations are being delivered`, {
        downMs: now - this.#downSince,
      });
    }
    this.#downSince = 0;
    this.#outageSaid = false;
  }

  /**
   * The API refused the token (`status` 401 or 403, with the API's `apiCode`), for a whole request
   * or for a bulk item: said at once, once until a request is answered again.
   */
  refused(status: number, apiCode: string): void {
    if (this.#authSaid) return;
    this.#authSaid = true;
    const what =
      status === 403
        ? 'the token may not do this: check that `agentId` (PREFACTOR_AGENT_ID) is the agent the token was issued for, or use a token of this agent'
        : 'check `apiToken` (PREFACTOR_API_TOKEN): it is missing, wrong, expired or revoked';
    safeLog(this.#logger, 'warn', `The API at ${this.#origin} refused the API token (${status} ${apiCode}): ${what}. Spans are dropped until then (counted in stats().dropped.rejected_by_server)`, {
      status,
      code: apiCode,
    });
  }

  /**
   * A request failed without a usable answer (network, timeout, 5xx, 429 after the client's own
   * retries), or an attempt of one did (the client retries it); `redelivery` when one of its
   * operations had been sent before.
   */
  unanswered(error: unknown, redelivery: boolean, now = Date.now()): void {
    if (this.#downSince === 0) this.#downSince = now;
    this.#cause = causeOf(error);
    if (!redelivery || this.#outageSaid) return;
    this.#outageSaid = true;
    safeLog(
      this.#logger,
      'warn',
      `The API at ${this.#origin} ${this.#state()} (${this.#cause}): ${this.#held()} operation(s) are held and sent again with backoff; check \`apiUrl\` (PREFACTOR_API_URL) and that the API is up`,
      { cause: this.#cause },
    );
  }

  /** "is unreachable" for a failure without an answer, "keeps failing" for an error status. */
  #state(): string {
    return /^(status )?\d/.test(this.#cause) ? 'keeps failing' : 'is unreachable';
  }

  /**
   * Why operations were still pending at the shutdown deadline: the API unreachable (then more
   * time would not help), or slow to answer.
   */
  shutdownHint(): string {
    if (this.#downSince !== 0) {
      return `they were still pending at the shutdown deadline because the API at ${this.#origin} ${this.#state()} (${this.#cause}): more time would not help; check \`apiUrl\` (PREFACTOR_API_URL) and that the API is up`;
    }
    return `they were still pending when shutdown timed out, with no failure from the API at ${this.#origin} (raise \`shutdownTimeoutMs\` if it is slow)`;
  }
}

/** `apiUrl`'s origin: scheme, host and port, never credentials or a path. */
function originOf(apiUrl: string | undefined): string {
  try {
    return new URL(apiUrl!).origin;
  } catch {
    return 'the configured `apiUrl`';
  }
}

/** The cause of a failed request in a few words: the system code, the status, or the error's code. */
function causeOf(error: unknown): string {
  const last = error instanceof PrefactorRetryExhaustedError ? error.lastError : error;
  if (last instanceof PrefactorApiError) return `${last.statusCode} ${last.apiCode}`;
  const { systemCode, statusCode, code } = (last ?? {}) as { systemCode?: unknown; statusCode?: unknown; code?: unknown };
  if (typeof systemCode === 'string') return systemCode;
  if (typeof statusCode === 'number') return `status ${statusCode}`;
  return typeof code === 'string' ? code : 'no answer';
}
