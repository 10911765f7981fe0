import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../models/index.js';
import { API_BASE, BULK_TYPE, PATHS } from '../models/routes.js';
import { executeBulk } from './bulk.js';
import { execute, RECORD_QUALITY } from './operations.js';
import type { Operation } from './operations.js';
import type { TokenScope } from './records.js';
import { failure, minimalJson, success } from './responses.js';
import type { Outcome } from './responses.js';
import type { Store } from './store.js';

/** One request as the router sees it (already authenticated, body read). */
export interface RouteRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  /** The raw body text ('' when none). */
  body: string;
  /** The `Idempotency-Key` header, if any. */
  headerKey: string | undefined;
  /** The request said `Prefer: return=minimal`: successful writes answer without their `details`. */
  minimal?: boolean;
  /** What the request's token stands for. */
  scope: TokenScope;
}

/** The router's answer: status, body (JSON text), and what the request event reports. */
export interface RouteResult {
  statusCode: number;
  json: string;
  idempotencyKey: string | null;
  itemCount?: number;
}

const PREFIX = `${API_BASE}/`;

/** Routes one request of the Prefactor API to the store (a bulk request is applied in slices: `executeBulk`). */
export async function route(store: Store, request: RouteRequest): Promise<RouteResult> {
  const { method, path } = request;
  const segments = path.startsWith(PREFIX) ? path.slice(PREFIX.length).split('/').map(decodeSegment) : [];
  const id = segments[1];
  switch (`${method} ${shapeOf(segments)}`) {
    case `GET ${PATHS.ping}`:
      return plain(success({ pong: true }));
    case `GET ${PATHS.agentInstances}`:
      return plain(success(store.instances()));
    case `GET ${PATHS.agentInstance(':id')}`: {
      const instance = store.instance(id!);
      return plain(instance ? success(instance) : missing('agent instance', id!));
    }
    case `GET ${PATHS.agentSpans}`: {
      const instanceId = request.query.get('agent_instance_id');
      if (!instanceId) {
        return plain(
          failure(422, 'validation_error', 'The query parameter agent_instance_id is required', {
            agent_instance_id: 'Required',
          }),
        );
      }
      const spans = store.spans(instanceId);
      return plain(spans ? success(spans) : missing('agent instance', instanceId));
    }
    case `POST ${PATHS.registerAgentInstance}`:
      return write(store, request, BULK_TYPE.registerAgentInstance, undefined);
    case `POST ${PATHS.startAgentInstance(':id')}`:
      return write(store, request, BULK_TYPE.startAgentInstance, { agent_instance_id: id });
    case `POST ${PATHS.finishAgentInstance(':id')}`:
      return write(store, request, BULK_TYPE.finishAgentInstance, { agent_instance_id: id });
    case `POST ${PATHS.recordQuality(':id')}`:
      return write(store, request, RECORD_QUALITY, { agent_instance_id: id });
    case `POST ${PATHS.agentSpans}`:
      return write(store, request, BULK_TYPE.createAgentSpan, undefined);
    case `POST ${PATHS.finishAgentSpan(':id')}`:
      return write(store, request, BULK_TYPE.finishAgentSpan, { agent_span_id: id });
    case `POST ${PATHS.bulk}`: {
      const body = parseBody(request.body);
      if ('error' in body) return plain(body.error);
      // `minimal` is always set by the server's request reader; `?? false` only satisfies the type.
      /* c8 ignore next */
      const result = await executeBulk(store, body.value, request.minimal ?? false, request.scope);
      return { statusCode: result.statusCode, json: result.json, idempotencyKey: keyOf(body.value, request), itemCount: result.itemCount };
    }
    default:
      return plain(failure(404, 'not_found', `No route ${method} ${path}: see the Prefactor API reference for the endpoints`));
  }
}

/** The route pattern of a path: `['agent_instance', 'x', 'start']` -> `agent_instance/:id/start`. */
function shapeOf(segments: readonly string[]): string {
  const [resource, second, action] = segments;
  if (segments.length === 1) return resource!;
  if (segments.length === 2) return second === 'register' ? `${resource}/register` : `${resource}/:id`;
  return segments.length === 3 ? `${resource}/:id/${action}` : '';
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function plain(outcome: Outcome): RouteResult {
  return { statusCode: outcome.statusCode, json: outcome.json, idempotencyKey: null };
}

function missing(what: string, id: string): Outcome {
  return failure(404, 'not_found', `No ${what} with id ${id}: check the id`);
}

/**
 * A request's idempotency key, the first of: the body's `idempotency_key`, its
 * `details.idempotency_key` (where the Python client puts a span create's key), the
 * `Idempotency-Key` header.
 */
function keyOf(body: unknown, request: RouteRequest): string | null {
  const value = body as { idempotency_key?: unknown; details?: { idempotency_key?: unknown } } | null;
  const key = value?.idempotency_key;
  if (typeof key === 'string') return key;
  const inDetails = typeof value?.details === 'object' ? value.details?.idempotency_key : undefined;
  return typeof inDetails === 'string' ? inDetails : (request.headerKey ?? null);
}

function parseBody(text: string): { value: unknown } | { error: Outcome } {
  if (text.trim() === '') return { value: {} };
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { error: failure(400, 'invalid_json', 'The request body is not valid JSON: send a JSON object') };
  }
}

function write(store: Store, request: RouteRequest, type: Operation, pathParams: Record<string, string | undefined> | undefined): RouteResult {
  const body = parseBody(request.body);
  if ('error' in body) return plain(body.error);
  const value = body.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return plain(failure(422, 'validation_error', 'The request body must be a JSON object', { body: 'Expected a JSON object' }));
  }
  const key = keyOf(value, request);
  if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    return plain(failure(422, 'validation_error', `The idempotency key is invalid: send 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`, { idempotency_key: 'Expected 1 to 64 characters' }));
  }
  const outcome = execute(store, type, pathParams ? { ...value, ...pathParams } : value, key ?? undefined, request.scope);
  return { statusCode: outcome.statusCode, json: request.minimal ? minimalJson(outcome) : outcome.json, idempotencyKey: key };
}
