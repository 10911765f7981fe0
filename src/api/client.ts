import { PrefactorAuthError } from '../http/errors.js';
import type { HttpClientConfig } from '../http/config.js';
import { HttpTransport, type CallOptions, type RequestOptions } from '../http/transport.js';
import { AgentInstancesEndpoint } from './agent-instances.js';
import { AgentSpansEndpoint } from './agent-spans.js';
import { BulkEndpoint } from './bulk.js';
import { apiPath, PATHS } from '../models/routes.js';

export type { CallOptions, RequestOptions, RetryInfo } from '../http/transport.js';

/**
 * A client for the Prefactor API: typed endpoints over an `HttpTransport` (retries with backoff, one
 * idempotency key per call reused by every retry, errors that never contain the token).
 */
export class PrefactorHttpClient {
  /** `register`, `start`, `finish`, `get`, `list` of agent instances. */
  readonly agentInstances: AgentInstancesEndpoint;
  /** `create`, `finish`, `list` of agent spans. */
  readonly agentSpans: AgentSpansEndpoint;
  /** `execute` of the bulk endpoint. */
  readonly bulk: BulkEndpoint;
  // Held privately so that inspecting the client never shows the token.
  readonly #transport: HttpTransport;

  constructor(options?: HttpClientConfig) {
    this.#transport = new HttpTransport(options);
    this.agentInstances = new AgentInstancesEndpoint(this.#transport);
    this.agentSpans = new AgentSpansEndpoint(this.#transport);
    this.bulk = new BulkEndpoint(this.#transport);
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#transport.closed;
  }

  /** A new idempotency key, with the `defaultIdempotencyKey` prefix when one is configured. */
  generateIdempotencyKey(): string {
    return this.#transport.generateIdempotencyKey();
  }

  /**
   * Sends `method path` (relative to `apiUrl`, e.g. `/api/v1/ping`) with retries, and resolves with the parsed
   * JSON body (checked against `options.schema` when given). Every method but GET/HEAD/OPTIONS carries an
   * idempotency key, in the `Idempotency-Key` header and in an object `json` body, the same on every retry.
   */
  request<T = unknown>(method: string, path: string, options?: RequestOptions<T>): Promise<T> {
    return this.#transport.request(method, path, options);
  }

  /** Whether the token is accepted: `GET /api/v1/ping`; `false` on 401/403, any other failure is thrown. */
  async validateToken(options: CallOptions = {}): Promise<boolean> {
    try {
      await this.#transport.request('GET', apiPath(PATHS.ping), options);
      return true;
    } catch (error) {
      if (error instanceof PrefactorAuthError) return false;
      throw error;
    }
  }

  /** Aborts the calls in flight (they reject with code `CLIENT_CLOSED`, as do later calls) and frees the sockets. Idempotent. */
  close(): Promise<void> {
    return this.#transport.close();
  }

  /** `await using client = new PrefactorHttpClient(...)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
