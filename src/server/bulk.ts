import { BulkRequest } from '../models/index.js';
import { execute, isOperation } from './operations.js';
import { failure, validationFailure } from './responses.js';
import type { ErrorBody, Outcome, SuccessBody } from './responses.js';
import type { Store } from './store.js';

/** What the bulk endpoint did: the HTTP outcome and how many items it was given. */
export interface BulkResult {
  statusCode: number;
  body: { status: 'success'; outputs: Record<string, SuccessBody | ErrorBody> } | ErrorBody;
  itemCount: number;
}

/**
 * `POST /api/v1/bulk`: items are processed in order, each on its own (with its own idempotency key,
 * scoped to its `_type`); processing stops at the first item that fails, and only processed items
 * get an output.
 */
export function executeBulk(store: Store, body: unknown): BulkResult {
  const parsed = BulkRequest.safeParse(body);
  if (!parsed.success) {
    const items = (body as { items?: unknown } | null)?.items;
    const outcome = validationFailure(parsed.error.issues);
    return { statusCode: outcome.statusCode, body: outcome.body as ErrorBody, itemCount: Array.isArray(items) ? items.length : 0 };
  }
  const { items } = parsed.data;
  const outputs: Record<string, SuccessBody | ErrorBody> = {};
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
    outputs[item.idempotency_key] = outcome.body;
    if (outcome.body.status === 'error') break;
  }
  return { statusCode: 200, body: { status: 'success', outputs }, itemCount: items.length };
}
