import { BulkRequest, MAX_IDEMPOTENCY_KEY_LENGTH, MIN_IDEMPOTENCY_KEY_LENGTH } from '../models/index.js';
import { execute, isOperation } from './operations.js';
import { failure, minimalJson, validationFailure } from './responses.js';
import type { Outcome } from './responses.js';
import type { Store } from './store.js';
import { isNonArrayObject } from '../util/objects.js';

/** What the bulk endpoint did: the HTTP outcome (body as JSON text) and how many items it was given. */
export interface BulkResult {
  statusCode: number;
  json: string;
  itemCount: number;
}

/** A bulk item whose envelope fields are valid; the rest is validated by its operation. */
interface EnvelopeItem {
  _type: string;
  idempotency_key: string;
  [field: string]: unknown;
}

/**
 * `POST /api/v1/bulk`: items are processed in order, each on its own (with its own idempotency key,
 * scoped to its `_type`); processing stops at the first item that fails, and only processed items
 * get an output.
 *
 * With `minimal` (the request said `Prefer: return=minimal`), success outputs leave out `details`.
 *
 * Each item is validated once, by its operation's model. The envelope is checked by hand first
 * (accepting exactly what `BulkRequest` accepts); only a body it rejects meets `BulkRequest`, for the
 * error map.
 */
export function executeBulk(store: Store, body: unknown, minimal = false): BulkResult {
  const items = envelopeItems(body);
  if (items === undefined) {
    // Fails, with the error map: `envelopeItems` rejects only what `BulkRequest` rejects.
    const outcome = validationFailure(BulkRequest.safeParse(body).error!.issues);
    const list = (body as { items?: unknown } | null)?.items;
    return { statusCode: outcome.statusCode, json: outcome.json, itemCount: Array.isArray(list) ? list.length : 0 };
  }
  const outputs: string[] = [];
  for (const item of items) {
    let outcome: Outcome;
    if (isOperation(item._type)) {
      outcome = execute(store, item._type, item, item.idempotency_key);
    } else {
      outcome = failure(
        422,
        'unknown_action',
        `Unknown bulk item _type ${JSON.stringify(item._type)}: use agent_instances/register|start|finish or agent_spans/create|finish`,
      );
    }
    // Keys are unique within a request, so the outputs object is spliced from texts.
    outputs.push(`${JSON.stringify(item.idempotency_key)}:${minimal ? minimalJson(outcome) : outcome.json}`);
    if (outcome.body.status === 'error') break;
  }
  return { statusCode: 200, json: `{"status":"success","outputs":{${outputs.join(',')}}}`, itemCount: items.length };
}


/** An idempotency key as `IdempotencyKey` accepts it: a string of 8 to 64 characters. */
function isKey(value: unknown): value is string {
  return typeof value === 'string' && value.length >= MIN_IDEMPOTENCY_KEY_LENGTH && value.length <= MAX_IDEMPOTENCY_KEY_LENGTH;
}

/** The items of a body `BulkRequest` accepts, else `undefined`. */
function envelopeItems(body: unknown): EnvelopeItem[] | undefined {
  if (!isNonArrayObject(body)) return undefined;
  const { items, idempotency_key: key } = body;
  if ((key !== undefined && key !== null && !isKey(key)) || !Array.isArray(items) || items.length === 0) return undefined;
  const seen = new Set<string>();
  for (const item of items as unknown[]) {
    if (!isNonArrayObject(item)) return undefined;
    const { _type: type, idempotency_key: itemKey } = item;
    if (typeof type !== 'string' || type.length === 0 || !isKey(itemKey) || seen.has(itemKey)) return undefined;
    seen.add(itemKey);
  }
  return items as EnvelopeItem[];
}
