import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { AgentInstance, AgentSpan } from '../models/index.js';
import { resolveLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { assertOptionsObject, check, invalidOption, rejectUnknownKeys } from '../util/option-checks.js';
import { TokenCheck } from './auth.js';
import { BodyBudget, readBody } from './body.js';
import type { BodyLimits, BodyRefusal, BodyResult } from './body.js';
import { FaultInjector } from './faults.js';
import type { FaultCounts, FaultDecision, FaultKind, FaultOptions } from './faults.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_BUFFERED_BYTES, MAX_JSON_DEPTH } from './limits.js';
import { Journal, replayJournal } from './journal.js';
import type { ReplaySummary } from './journal.js';
import type { TokenScope } from './records.js';
import { route } from './routes.js';
import type { RouteResult } from './routes.js';
import { Store } from './store.js';
import type { SpanListener } from './store.js';
import { buildSpanTree } from './tree.js';
import type { SpanTreeNode } from './tree.js';
import { serveViewer } from './viewer/index.js';

export type { FaultCounts, FaultKind, FaultOptions } from './faults.js';
export { buildSpanTree, formatDuration, renderSpanTree } from './tree.js';
export type { RenderTreeOptions, SpanTreeNode } from './tree.js';
export { readJournal, replayJournal } from './journal.js';
export type { JournalEntry, ReplaySummary } from './journal.js';

/** Options of `startLocalServer`. The server binds 127.0.0.1 only. */
export interface LocalServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** The bearer token every request must carry. @default 'dev-token' */
  readonly token?: string;
  /**
   * The agent `token` belongs to. Given, the token is deployment-scoped: a register naming another
   * agent is 403 `forbidden`. Not given, the token is account-wide: a register without `agent_id`
   * gets the default agent `'local-agent'`, and a register naming any agent is accepted.
   * @default undefined (account-wide, default agent 'local-agent')
   */
  readonly agentId?: string;
  /** The deployment `token` belongs to: every instance of the token's agent runs in it. @default 'local-deployment' */
  readonly agentDeploymentId?: string;
  /** NDJSON journal: every applied change is appended, and the file is replayed on start. @default undefined (in memory) */
  readonly dataFile?: string;
  /** Fault injection from the start (see `FaultOptions`). @default {} (none) */
  readonly faults?: FaultOptions;
  /** Seed of the fault PRNG: the same seed and requests give the same faults. @default 1 */
  readonly seed?: number;
  /**
   * Largest request body accepted, in bytes: a larger `Content-Length` is refused (413) before the
   * body is read, and a body that grows past it is refused as soon as it does.
   * @default 16777216 (16 MiB)
   */
  readonly maxBodyBytes?: number;
  /**
   * Request body bytes held at once, across all requests: a request that would go over is answered
   * 503 `server_busy` with `Retry-After: 1`.
   * @default 67108864 (64 MiB)
   */
  readonly maxBufferedBytes?: number;
  /**
   * Where the server says what it could not do (a torn or damaged journal line skipped at start).
   * Any object with `debug`/`info`/`warn`/`error`; `false` silences it.
   * @default a logger writing warnings to stderr
   */
  readonly logger?: Logger | false;
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

const OPTION_KEYS = ['port', 'token', 'agentId', 'agentDeploymentId', 'dataFile', 'faults', 'seed', 'maxBodyBytes', 'maxBufferedBytes', 'logger'] as const;

/**
 * A Prefactor-compatible API server on 127.0.0.1, in memory or journaled, with fault injection.
 *
 * Each request meets, in order: an outage (socket destroyed, no answer; during an outage new
 * connections are destroyed as soon as they are accepted), the bearer token check (401, before the
 * body is read), the added latency, the body limits (413, 400, 503), the drawn fault (drop, 5xx,
 * 429: nothing applied), the route (applied, journaled), then a stall (no answer) or a malformed
 * body if one was drawn.
 */
export class LocalServer extends EventEmitter<LocalServerEvents> {
  /** `http://127.0.0.1:PORT` (the API is under `/api/v1`). */
  readonly url: string;
  /** The bearer token requests must carry. */
  readonly token: string;
  /** The agent the token belongs to (a register without `agent_id` gets it). */
  readonly agentId: string;
  /** The deployment the token belongs to (every instance of `agentId` runs in it). */
  readonly agentDeploymentId: string;
  /** The journal file, when persistent. */
  readonly dataFile: string | undefined;
  /** What the start-up replay of `dataFile` read (`undefined` in memory). */
  readonly journalReplay: ReplaySummary | undefined;
  #server: Server;
  #store: Store;
  #faults: FaultInjector;
  #tokens: TokenCheck<TokenScope>;
  #bodyLimits: BodyLimits;
  #closing: Promise<void> | undefined;
  /** Aborted by close(), so pending latency delays end with the server. */
  #closed = new AbortController();

  /** Use `startLocalServer()`. */
  constructor(
    server: Server,
    store: Store,
    faults: FaultInjector,
    options: { token: string; scope: TokenScope; dataFile?: string; maxBodyBytes: number; maxBufferedBytes: number; replay?: ReplaySummary },
  ) {
    super();
    this.#server = server;
    this.#store = store;
    this.#faults = faults;
    this.token = options.token;
    this.dataFile = options.dataFile;
    this.journalReplay = options.replay;
    this.agentId = options.scope.agentId;
    this.agentDeploymentId = options.scope.agentDeploymentId;
    this.#tokens = new TokenCheck(new Map([[options.token, options.scope]]));
    this.#bodyLimits = { maxBytes: options.maxBodyBytes, budget: new BodyBudget(options.maxBufferedBytes), maxDepth: MAX_JSON_DEPTH };
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
    // Before a byte of the body is read: a client without the token costs the server nothing.
    const scope = this.#tokens.match(request.headers.authorization);
    if (scope === undefined) {
      return this.#refuse(request, response, info, 401, 'unauthorized', "Missing or invalid bearer token: send `Authorization: Bearer <token>` with the server's token");
    }
    const decision = this.#faults.decide();
    let body: BodyResult;
    try {
      if (decision.latencyMs > 0) await delay(decision.latencyMs, undefined, { signal: this.#closed.signal });
      body = await readBody(request, this.#bodyLimits);
    } catch {
      // Closed during the latency, or the client went away mid-body: nobody to answer.
      return this.#drop(request, info, null);
    }
    if ('refused' in body) return this.#refuseBody(request, response, info, body.refused);
    try {
      await this.#answer(request, response, info, url, body.text, { headerKey, scope }, decision);
    } finally {
      this.#bodyLimits.budget.release(body.bytes);
    }
  }

  async #answer(
    request: IncomingMessage,
    response: ServerResponse,
    info: RequestInfo,
    url: URL,
    body: string,
    { headerKey, scope }: { headerKey: string | undefined; scope: TokenScope },
    decision: FaultDecision,
  ): Promise<void> {
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
    let result: RouteResult;
    const minimal = prefersMinimal(request.headers.prefer);
    try {
      result = await route(this.#store, { method: info.method, path: url.pathname, query: url.searchParams, body, headerKey, minimal, scope });
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

  /** Answers a body refused by `readBody`. */
  #refuseBody(request: IncomingMessage, response: ServerResponse, info: RequestInfo, refusal: BodyRefusal): void {
    const { maxBytes, budget, maxDepth } = this.#bodyLimits;
    if (refusal === 'too_large') {
      return this.#refuse(request, response, info, 413, 'payload_too_large', `The request body is over ${maxBytes} bytes: send smaller batches`);
    }
    if (refusal === 'too_deep') {
      return this.#refuse(request, response, info, 400, 'json_too_deep', `The request body nests objects and arrays deeper than ${maxDepth} levels: flatten the payload`);
    }
    response.setHeader('Retry-After', '1');
    this.#refuse(request, response, info, 503, 'server_busy', `The server holds ${budget.maxBytes} bytes of request bodies already: retry shortly`);
  }

  /**
   * Answers an error without reading (the rest of) the body: the connection is closed after the
   * answer, so the unread bytes are discarded with it instead of being read on a kept-alive socket.
   */
  #refuse(request: IncomingMessage, response: ServerResponse, info: RequestInfo, status: number, code: string, message: string): void {
    if (!request.complete) response.setHeader('Connection', 'close');
    this.#send(response, info, status, { status: 'error', code, message });
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

/** Whether a `Prefer` header (RFC 7240) asks for `return=minimal`. */
function prefersMinimal(header: string | string[] | undefined): boolean {
  return header !== undefined && /(?:^|[,;\s])return=minimal(?:$|[,;\s])/i.test(String(header));
}

/** The agent of the default (account-wide) token: a register without `agent_id` gets it. */
export const DEFAULT_AGENT_ID = 'local-agent';
/** The deployment of the default token's agent. */
export const DEFAULT_DEPLOYMENT_ID = 'local-deployment';

/** The one warning of a replay that skipped lines. */
function replayWarning(file: string, replay: ReplaySummary): string {
  const parts: string[] = [];
  if (replay.torn > 0) parts.push('its last line was cut short (a write interrupted, e.g. by kill -9) and was skipped');
  if (replay.skipped > 0) parts.push(`damaged lines skipped: ${replay.skipped}`);
  return `Journal ${file}: ${parts.join('; ')}; ${replay.applied} entries replayed. New changes are appended after it.`;
}

/** Starts the local server on 127.0.0.1 (replaying `dataFile` first, when given). */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  assertOptionsObject('local server', options);
  rejectUnknownKeys('startLocalServer()', options, OPTION_KEYS);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) invalidOption('port', 'an integer from 0 to 65535', port);
  const token = options.token === undefined ? 'dev-token' : check.nonEmptyString('token', options.token);
  const scope: TokenScope = {
    agentId: options.agentId === undefined ? DEFAULT_AGENT_ID : check.nonEmptyString('agentId', options.agentId),
    agentDeploymentId: options.agentDeploymentId === undefined ? DEFAULT_DEPLOYMENT_ID : check.nonEmptyString('agentDeploymentId', options.agentDeploymentId),
    deploymentScoped: options.agentId !== undefined,
  };
  const seed = options.seed === undefined ? 1 : check.nonNegativeInteger('seed', options.seed);
  const maxBodyBytes = options.maxBodyBytes === undefined ? DEFAULT_MAX_BODY_BYTES : check.positiveInteger('maxBodyBytes', options.maxBodyBytes);
  const maxBufferedBytes =
    options.maxBufferedBytes === undefined ? Math.max(DEFAULT_MAX_BUFFERED_BYTES, maxBodyBytes) : check.positiveInteger('maxBufferedBytes', options.maxBufferedBytes);
  const logger = resolveLogger(options.logger);
  const faults = new FaultInjector(options.faults, seed);
  // The store reports spans to the server, which does not exist yet: forward through a variable.
  let localServer: LocalServer | undefined;
  const onSpan: SpanListener = (span, change) => localServer!.emit('span', span, change);
  const store = new Store(undefined, onSpan);
  let replay: ReplaySummary | undefined;
  if (options.dataFile !== undefined) {
    const dataFile = check.nonEmptyString('dataFile', options.dataFile);
    // Replayed before the journal is opened for writing (opening it starts a fresh line after a torn one).
    replay = await replayJournal(dataFile, (entry) => store.replay(entry));
    if (replay.torn > 0 || replay.skipped > 0) logger.warn(replayWarning(dataFile, replay));
    store.attachJournal(new Journal(dataFile));
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
  localServer = new LocalServer(server, store, faults, { token, scope, dataFile: options.dataFile, maxBodyBytes, maxBufferedBytes, replay });
  return localServer;
}
