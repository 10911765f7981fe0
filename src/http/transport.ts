import http from 'node:http';
import https from 'node:https';
import got, { type Got, type RetryObject } from 'got';
import type { z } from 'zod';
import { ERROR_CODES } from '../errors.js';
import { resolveHttpClientConfig, type HttpClientConfig, type ResolvedHttpClientConfig } from './config.js';
import {
  PrefactorApiError,
  PrefactorClientError,
  PrefactorRetryExhaustedError,
  PrefactorResponseContractError,
  TRANSIENT_NETWORK_CODES,
  isTransientClientError,
  type PrefactorHttpError,
} from './errors.js';
import { generateIdempotencyKey, idempotencyKeyProblem } from './idempotency.js';
import { contractError, errorFromGot, parseJsonObject, type CallContext } from './map-error.js';
import { describeIssues } from '../util/zod-issues.js';
import { isNonArrayObject } from '../util/objects.js';
import { retryDelayMs } from './retry-delay.js';
import { buildSdkHeader, SDK_HEADER_ENTRY } from './sdk-header.js';

/** What `onRetry` is told before each retry. */
export interface RetryInfo {
  /** The retry about to happen: 1 for the first retry. */
  readonly attempt: number;
  /** Why the previous attempt failed. */
  readonly error: PrefactorHttpError;
  /** How long the client waits before the retry, in milliseconds. */
  readonly delayMs: number;
}

/** Options of one call: `request()` takes all of them, the endpoint methods `signal`, `maxRetries` and `onRetry`. */
export interface CallOptions {
  /** Aborts the call and its retries; the call then rejects with a `PrefactorClientError` code `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Retries for this call, instead of the client's `maxRetries`. */
  readonly maxRetries?: number;
  /** Called before each retry (a throwing callback is ignored). */
  readonly onRetry?: (info: RetryInfo) => void;
}

export interface RequestOptions<T = unknown> extends CallOptions {
  /** Query parameters; `undefined` values are left out. */
  readonly params?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** A JSON body. For a plain object, `idempotency_key` is set to the call's key. */
  readonly json?: unknown;
  /**
   * A pre-serialised JSON body, sent as is (it should already hold the call's `idempotency_key`):
   * a string, or its UTF-8 bytes (not copied; they must not change until the call settles).
   */
  readonly body?: string | Uint8Array;
  /** The call's idempotency key (8-64 characters); one is generated when absent. Ignored for GET and HEAD. */
  readonly idempotencyKey?: string;
  /** A zod schema the response body must fit; a mismatch is a `PrefactorResponseContractError`. */
  readonly schema?: z.ZodType<T>;
  /**
   * Extra request headers, e.g. `{prefer: 'return=minimal'}` (RFC 7240), which the delivery engine
   * sends so that bulk outputs leave out the resources they would echo. They cannot replace
   * `authorization`, `idempotency-key` or `content-type`.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Let the process exit while this call is under way: its socket and its retry waits do not hold
   * the event loop open. The delivery engine's calls set it (a flush holds the process itself, up
   * to its deadline), so telemetry never keeps a finished program alive.
   * @default false
   */
  readonly unref?: boolean;
}

const RETRY_METHODS = ['GET', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'POST'];
const NO_KEY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts; an `unref`'d wait does not hold the process. */
function sleep(ms: number, signal: AbortSignal, unref: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    if (unref) timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}


/**
 * The HTTP transport under `PrefactorHttpClient`: one call is a method and a path, sent with retries and
 * backoff on got's retry machinery, one idempotency key per call reused by every retry, and errors that
 * never contain the token. It knows no endpoint: the facades in `src/api/` name the paths and the models.
 */
export class HttpTransport {
  // Held privately so that inspecting the client never shows the token.
  readonly #config: ResolvedHttpClientConfig;
  readonly #got: Got;
  readonly #agents: { http: http.Agent; https: https.Agent };
  readonly #origin: string;
  // One function per call in flight, which aborts it as closed; close() calls them all.
  readonly #inflight = new Set<() => void>();
  #closed = false;
  // A server may echo the token back (in an error message or body); it is cut out of every message. Strings
  // shorter than 8 characters are not real tokens, and cutting them would garble the messages.
  readonly #redact = (text: string): string =>
    this.#config.apiToken.length < 8 ? text : text.split(this.#config.apiToken).join('[redacted]');

  constructor(options?: HttpClientConfig) {
    this.#config = resolveHttpClientConfig(options);
    this.#origin = new URL(this.#config.apiUrl).origin;
    this.#agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
    this.#got = got.extend({
      prefixUrl: `${this.#config.apiUrl}/`,
      headers: {
        authorization: `Bearer ${this.#config.apiToken}`,
        accept: 'application/json',
        'user-agent': SDK_HEADER_ENTRY,
        'x-prefactor-sdk': buildSdkHeader(this.#config.sdkHeader),
      },
      timeout: { connect: this.#config.connectTimeoutMs, request: this.#config.requestTimeoutMs },
      retry: {
        limit: this.#config.maxRetries,
        methods: RETRY_METHODS as never,
        statusCodes: [...this.#config.retryOnStatusCodes],
        errorCodes: [...TRANSIENT_NETWORK_CODES],
      },
      responseType: 'text',
      agent: this.#agents,
    });
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A new idempotency key, with the `defaultIdempotencyKey` prefix when one is configured. */
  generateIdempotencyKey(): string {
    return generateIdempotencyKey(this.#config.defaultIdempotencyKey);
  }

  /**
   * Sends `method path` (relative to `apiUrl`, e.g. `/api/v1/ping`) with retries, and resolves with the parsed
   * JSON body (checked against `options.schema` when given). Every method but GET/HEAD/OPTIONS carries an
   * idempotency key, in the `Idempotency-Key` header and in an object `json` body, the same on every retry.
   */
  async request<T = unknown>(method: string, path: string, options: RequestOptions<T> = {}): Promise<T> {
    const upper = method.toUpperCase();
    const relative = path.replace(/^\/+/, '');
    const ctx: CallContext = {
      request: { method: upper, path: `/${relative}` },
      origin: this.#origin,
      requestTimeoutMs: this.#config.requestTimeoutMs,
      connectTimeoutMs: this.#config.connectTimeoutMs,
      maxRetryDelayMs: this.#config.maxRetryDelayMs,
      redact: this.#redact,
    };
    const refuse = (problem: string): PrefactorClientError =>
      new PrefactorClientError(`${upper} /${relative} was not sent: ${problem}.`, { code: ERROR_CODES.invalidRequest, request: ctx.request });
    if (this.#closed) throw errorFromGot(undefined, { ...ctx, abortedBy: () => 'close' });
    const maxRetries = options.maxRetries ?? this.#config.maxRetries;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw refuse(`\`maxRetries\` must be a non-negative integer, got ${String(maxRetries)}`);

    let key: string | undefined;
    if (!NO_KEY_METHODS.has(upper)) {
      const fromBody = isNonArrayObject(options.json) ? options.json.idempotency_key : undefined;
      key = options.idempotencyKey ?? (typeof fromBody === 'string' ? fromBody : this.generateIdempotencyKey());
      const problem = idempotencyKeyProblem(key);
      if (problem) throw refuse(`the idempotency key ${problem}`);
    }
    let body = options.body;
    if (body === undefined && options.json !== undefined) {
      body = JSON.stringify(isNonArrayObject(options.json) && key ? { ...options.json, idempotency_key: key } : options.json);
    }
    // A Buffer, encoded once for every attempt: for a string got measures content-length with
    // `new TextEncoder().encode(body)`, a second full copy of the body on each attempt. Bytes are
    // sent as they are.
    const payload =
      body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (name.toLowerCase() !== 'authorization') headers[name.toLowerCase()] = value;
    }
    if (key) headers['idempotency-key'] = key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const searchParams: Record<string, string | number | boolean> = {};
    for (const [name, value] of Object.entries(options.params ?? {})) if (value !== undefined) searchParams[name] = value;

    // One controller per call: the caller's signal and close() both abort it, and it tells them apart.
    const controller = new AbortController();
    let abortedBy: 'caller' | 'close' | undefined;
    const onCallerAbort = (): void => {
      abortedBy ??= 'caller';
      controller.abort();
    };
    if (options.signal?.aborted) onCallerAbort();
    options.signal?.addEventListener('abort', onCallerAbort);
    const callCtx: CallContext = { ...ctx, abortedBy: () => abortedBy };
    const closeCall = (): void => {
      abortedBy ??= 'close';
      controller.abort();
    };
    this.#inflight.add(closeCall);

    let exhausted = false;
    let attempts = 1;
    // got waits for a Promise returned here. The client does the waiting itself, on a timer that the call's
    // signal cancels, and then lets got retry after 1 ms: got's own timer cannot be cancelled when an abort
    // lands between this function and got's wait, and would keep the process alive for the whole delay.
    const calculateDelay = async ({ attemptCount, error, retryOptions }: RetryObject): Promise<number> => {
      const mapped = errorFromGot(error, callCtx);
      if (!retryOptions.methods.includes(upper as never) || !this.#isRetryable(mapped)) return 0;
      const retryAfter = error.response?.headers['retry-after'];
      const delay = retryDelayMs(attemptCount - 1, { ...this.#config, maxRetries: retryOptions.limit }, retryAfter);
      if (delay === undefined) {
        exhausted = true;
        return 0;
      }
      // got reads a delay of 0 as "do not retry".
      const delayMs = Math.max(1, delay);
      attempts = attemptCount + 1;
      try {
        options.onRetry?.({ attempt: attemptCount, error: mapped, delayMs });
      } catch {
        // The callback is the caller's code; it cannot stop or break the retry.
      }
      return (await sleep(delayMs, controller.signal, options.unref === true)) ? 1 : 0;
    };

    const run = async (): Promise<T> => {
      try {
        const call = this.#got(relative, {
          method: upper as never,
          body: payload,
          headers,
          searchParams,
          signal: controller.signal,
          retry: { limit: maxRetries, calculateDelay },
        });
        // Each attempt's socket, new or reused (an agent ref()s a socket it reuses), once attached.
        if (options.unref === true) call.on('request', (request: http.ClientRequest) => request.on('socket', (socket) => socket.unref()));
        const response = await call;
        const parsed = parseJsonObject(response.statusCode, response.headers, response.body, callCtx);
        if (!options.schema) return parsed as T;
        const result = options.schema.safeParse(parsed);
        if (!result.success) {
          throw contractError(
            `a body that does not fit the expected response (${describeIssues(result.error.issues)})`,
            response.statusCode,
            response.headers,
            response.body,
            callCtx,
            result.error,
          );
        }
        return result.data;
      } catch (error) {
        if (error instanceof PrefactorResponseContractError) throw error;
        const mapped = errorFromGot(error, callCtx);
        if (exhausted && maxRetries > 0) {
          throw new PrefactorRetryExhaustedError(
            `${upper} /${relative} failed after ${attempts} attempts; the last one: ${mapped.message}`,
            mapped,
            attempts,
          );
        }
        throw mapped;
      }
    };
    return run().finally(() => {
      options.signal?.removeEventListener('abort', onCallerAbort);
      this.#inflight.delete(closeCall);
      // got can settle a call while a retry wait it asked for is still pending (on Node 24 a
      // connection refused before the socket opened ends the call without waiting for the delay):
      // cancel that wait, or its timer keeps the process alive for up to a whole retry delay.
      controller.abort();
    });
  }

  /** Aborts the calls in flight (they reject with code `CLIENT_CLOSED`, as do later calls) and frees the sockets. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const closeCall of this.#inflight) closeCall();
    this.#inflight.clear();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  #isRetryable(error: PrefactorHttpError): boolean {
    if (error instanceof PrefactorApiError) return this.#config.retryOnStatusCodes.includes(error.statusCode);
    if (error instanceof PrefactorResponseContractError) {
      return error.statusCode !== undefined && (error.statusCode === 429 || error.statusCode >= 500);
    }
    return isTransientClientError(error);
  }
}
