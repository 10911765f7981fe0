import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { AgentInstance, AgentSpan } from '../models/index.js';
import { assertOptionsObject, check, invalidOption, rejectUnknownKeys } from '../util/option-checks.js';
import { FaultInjector } from './faults.js';
import type { FaultCounts, FaultKind, FaultOptions } from './faults.js';
import { Journal, readJournal } from './journal.js';
import { route } from './routes.js';
import { Store } from './store.js';
import type { SpanListener } from './store.js';
import { buildSpanTree } from './tree.js';
import type { SpanTreeNode } from './tree.js';
import { serveViewer } from './viewer/index.js';

export type { FaultCounts, FaultKind, FaultOptions } from './faults.js';
export { buildSpanTree, formatDuration, renderSpanTree } from './tree.js';
export type { RenderTreeOptions, SpanTreeNode } from './tree.js';
export { readJournal } from './journal.js';

/** Options of `startLocalServer`. The server binds 127.0.0.1 only. */
export interface LocalServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** The bearer token every request must carry. @default 'dev-token' */
  readonly token?: string;
  /** NDJSON journal: every applied change is appended, and the file is replayed on start. @default undefined (in memory) */
  readonly dataFile?: string;
  /** Fault injection from the start (see `FaultOptions`). @default {} (none) */
  readonly faults?: FaultOptions;
  /** Seed of the fault PRNG: the same seed and requests give the same faults. @default 1 */
  readonly seed?: number;
  /** Largest request body accepted, in bytes (413 above). @default 67108864 (64 MiB) */
  readonly maxBodyBytes?: number;
}

/** The payload of the `'request'` event, emitted once per request when it is answered (or not). */
export interface RequestInfo {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The status answered; `null` when no answer was sent (drop, stall, outage). */
  status: number | null;
  /** The fault applied to this request, if any. */
  fault: FaultKind | null;
  /** The request's idempotency key (body, else `Idempotency-Key` header), if any. */
  idempotencyKey: string | null;
  /** For `POST /api/v1/bulk`: how many items the request held. */
  itemCount?: number;
}

export interface LocalServerEvents {
  request: [info: RequestInfo];
  span: [span: AgentSpan, change: 'created' | 'finished'];
}

const OPTION_KEYS = ['port', 'token', 'dataFile', 'faults', 'seed', 'maxBodyBytes'] as const;

/**
 * A Prefactor-compatible API server on 127.0.0.1, in memory or journaled, with fault injection.
 *
 * Each request meets, in order: an outage (socket destroyed, no answer; during an outage new
 * connections are destroyed as soon as they are accepted), the added latency, the drawn fault (drop,
 * 5xx, 429: nothing applied), the bearer token check (401), the route (applied, journaled), then a
 * stall (no answer) or a malformed body if one was drawn.
 */
export class LocalServer extends EventEmitter<LocalServerEvents> {
  /** `http://127.0.0.1:PORT` (the API is under `/api/v1`). */
  readonly url: string;
  /** The bearer token requests must carry. */
  readonly token: string;
  /** The journal file, when persistent. */
  readonly dataFile: string | undefined;
  #server: Server;
  #store: Store;
  #faults: FaultInjector;
  #maxBodyBytes: number;
  #closing: Promise<void> | undefined;
  /** Aborted by close(), so pending latency delays end with the server. */
  #closed = new AbortController();

  /** Use `startLocalServer()`. */
  constructor(server: Server, store: Store, faults: FaultInjector, options: { token: string; dataFile?: string; maxBodyBytes: number }) {
    super();
    this.#server = server;
    this.#store = store;
    this.#faults = faults;
    this.token = options.token;
    this.dataFile = options.dataFile;
    this.#maxBodyBytes = options.maxBodyBytes;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('connection', (socket) => {
      if (this.#faults.refuse()) socket.destroy();
    });
    server.on('request', (request, response) => {
      // The browser viewer's page and files (`/`, `/viewer/*`); everything else is the API.
      if (!serveViewer(request, response)) void this.#handle(request, response);
    });
  }

  /** Stored agent instances, newest first, with current `span_counts`. */
  instances(): AgentInstance[] {
    return this.#store.instances();
  }

  /** One stored agent instance, or `undefined`. */
  instance(instanceId: string): AgentInstance | undefined {
    return this.#store.instance(instanceId);
  }

  /** The stored spans of an instance, in creation order (empty for an unknown instance). */
  spans(instanceId: string): AgentSpan[] {
    return this.#store.spans(instanceId) ?? [];
  }

  /** The spans of an instance as a tree (children under their parent, in start order). */
  tree(instanceId: string): SpanTreeNode[] {
    return buildSpanTree(this.spans(instanceId));
  }

  /**
   * The killswitch: the instance becomes `cancelled` with `reason` stored, and every later span
   * create/finish response for it (bulk outputs too) carries `control: {terminate: true, reason}`.
   * An id not registered yet is terminated when it registers. Returns whether the instance existed.
   */
  terminate(instanceId: string, reason = 'terminated'): boolean {
    return this.#store.terminate(instanceId, reason);
  }

  /** Replaces the fault injection (throws `PrefactorConfigError` for bad options). */
  setFaults(faults: FaultOptions = {}): void {
    this.#faults.set(faults);
  }

  /** How many times each fault was applied since start. */
  faultCounts(): FaultCounts {
    return this.#faults.counts();
  }

  /** Stops listening and ends every connection, stalled ones included. Idempotent. */
  close(): Promise<void> {
    this.#closed.abort();
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // A server-side request always has a url and a method.
    const url = new URL(request.url!, 'http://127.0.0.1');
    const info: RequestInfo = { method: request.method!, path: url.pathname, status: null, fault: null, idempotencyKey: null };
    const header = request.headers['idempotency-key'];
    const headerKey = typeof header === 'string' ? header : undefined;
    info.idempotencyKey = headerKey ?? null;
    if (this.#faults.refuse()) return this.#drop(request, info, 'outage');
    const decision = this.#faults.decide();
    let body: string;
    try {
      if (decision.latencyMs > 0) await delay(decision.latencyMs, undefined, { signal: this.#closed.signal });
      body = await readBody(request, this.#maxBodyBytes);
    } catch (error) {
      // Closed during the latency, or the client went away mid-body: nobody to answer.
      if (!(error instanceof BodyTooLargeError)) return this.#drop(request, info, null);
      return this.#send(response, info, 413, { status: 'error', code: 'payload_too_large', message: `The request body is over ${this.#maxBodyBytes} bytes: send smaller batches` });
    }
    if (decision.kind === 'drop') return this.#drop(request, info, 'drop');
    if (decision.kind === 'error') {
      info.fault = 'error';
      return this.#send(response, info, decision.statusCode, { status: 'error', code: 'server_error', message: `Injected fault: HTTP ${decision.statusCode}` });
    }
    if (decision.kind === 'rateLimit') {
      info.fault = 'rateLimit';
      response.setHeader('Retry-After', String(decision.retryAfterSeconds));
      return this.#send(response, info, 429, { status: 'error', code: 'rate_limited', message: `Too many requests: retry after ${decision.retryAfterSeconds} s` });
    }
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      return this.#send(response, info, 401, { status: 'error', code: 'unauthorized', message: 'Missing or invalid bearer token: send `Authorization: Bearer <token>` with the server\'s token' });
    }
    let result: ReturnType<typeof route>;
    const minimal = prefersMinimal(request.headers.prefer);
    try {
      result = route(this.#store, { method: info.method, path: url.pathname, query: url.searchParams, body, headerKey, minimal });
      /* c8 ignore start -- defensive: a bug in a handler answers 500 instead of crashing the process */
    } catch (error) {
      this.#store.flush();
      return this.#send(response, info, 500, { status: 'error', code: 'internal_error', message: `The local server failed: ${(error as Error).message}` });
    }
    /* c8 ignore stop */
    this.#store.flush();
    info.idempotencyKey = result.idempotencyKey;
    if (result.itemCount !== undefined) info.itemCount = result.itemCount;
    if (decision.kind === 'stall') {
      // Applied, never answered: the socket stays open until the client gives up or close() runs.
      info.fault = 'stall';
      this.emit('request', info);
      return;
    }
    if (decision.kind === 'malformed') {
      info.fault = 'malformed';
      const text = result.json;
      return this.#send(response, info, result.statusCode, text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    }
    if (minimal) response.setHeader('Preference-Applied', 'return=minimal');
    this.#send(response, info, result.statusCode, result.json);
  }

  #drop(request: IncomingMessage, info: RequestInfo, fault: FaultKind | null): void {
    info.fault = fault;
    request.socket.destroy();
    this.emit('request', info);
  }

  /** Answers with `body` (JSON text, or an object to serialise). */
  #send(response: ServerResponse, info: RequestInfo, status: number, body: string | object): void {
    // Encoded once: the length header and the write share the bytes.
    const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': bytes.length });
    response.end(bytes);
    info.status = status;
    this.emit('request', info);
  }
}

class BodyTooLargeError extends Error {}

/** Whether a `Prefer` header (RFC 7240) asks for `return=minimal`. */
function prefersMinimal(header: string | string[] | undefined): boolean {
  return header !== undefined && /(?:^|[,;\s])return=minimal(?:$|[,;\s])/i.test(String(header));
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.removeAllListeners('data');
        request.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Starts the local server on 127.0.0.1 (replaying `dataFile` first, when given). */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  assertOptionsObject('local server', options);
  rejectUnknownKeys('startLocalServer()', options, OPTION_KEYS);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) invalidOption('port', 'an integer from 0 to 65535', port);
  const token = options.token === undefined ? 'dev-token' : check.nonEmptyString('token', options.token);
  const seed = options.seed === undefined ? 1 : check.nonNegativeInteger('seed', options.seed);
  const maxBodyBytes = options.maxBodyBytes === undefined ? 64 * 1024 * 1024 : check.positiveInteger('maxBodyBytes', options.maxBodyBytes);
  const faults = new FaultInjector(options.faults, seed);
  // The store reports spans to the server, which does not exist yet: forward through a variable.
  let localServer: LocalServer | undefined;
  const onSpan: SpanListener = (span, change) => localServer!.emit('span', span, change);
  let store: Store;
  if (options.dataFile === undefined) {
    store = new Store(undefined, onSpan);
  } else {
    const dataFile = check.nonEmptyString('dataFile', options.dataFile);
    store = new Store(new Journal(dataFile), onSpan);
    store.load(readJournal(dataFile).entries);
  }
  const server = createServer();
  // Longer than the clients' idle sockets live, so a reused keep-alive socket is not closed under a request.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(`The local server could not listen on 127.0.0.1:${port} (${error.code}): stop the process using that port or choose another port`, {
          cause: error,
        }),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  localServer = new LocalServer(server, store, faults, { token, dataFile: options.dataFile, maxBodyBytes });
  return localServer;
}
