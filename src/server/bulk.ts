import { setImmediate as nextTurn } from 'node:timers/promises';
import { z } from 'zod';
import { BulkItem, IdempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH, MIN_IDEMPOTENCY_KEY_LENGTH } from '../models/index.js';
import { BULK_SLICE_MS, MAX_BULK_ITEMS, MAX_REPORTED_ISSUES } from './limits.js';
import { execute, isOperation } from './operations.js';
import { failure, minimalJson, validationFailure } from './responses.js';
import type { Outcome } from './responses.js';
import type { TokenScope } from './records.js';
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

/** `BulkRequest` without its items' contents: the top-level issues of a rejected envelope. */
const TopLevel = z.object({ items: z.array(z.unknown()).min(1), idempotency_key: IdempotencyKey.nullish() });

/**
 * `POST /api/v1/bulk`: items are processed in order, each on its own (with its own idempotency key,
 * scoped to its `_type`); processing stops at the first item that fails, and only processed items
 * get an output.
 *
 * With `minimal` (the request said `Prefer: return=minimal`), success outputs leave out `details`.
 *
 * Bounded: more than `MAX_BULK_ITEMS` items is 413 `too_many_items` before any validation; a
 * rejected envelope reports its first issues and their count (`validationFailure`); items are
 * processed in slices of `BULK_SLICE_MS`, between which other requests are served (the journal is
 * written at each slice's end).
 *
 * Each item is validated once, by its operation's model. The envelope is checked by hand first
 * (accepting exactly what `BulkRequest` accepts, and reporting the issues it would).
 */
export async function executeBulk(store: Store, body: unknown, minimal: boolean, scope: TokenScope): Promise<BulkResult> {
  const list = (body as { items?: unknown } | null)?.items;
  const itemCount = Array.isArray(list) ? list.length : 0;
  if (itemCount > MAX_BULK_ITEMS) {
    const outcome = failure(413, 'too_many_items', `The bulk request holds ${itemCount} items, over the limit of ${MAX_BULK_ITEMS}: send smaller batches`);
    return { statusCode: outcome.statusCode, json: outcome.json, itemCount };
  }
  const items = envelopeItems(body);
  if (items === undefined) {
    const outcome = envelopeFailure(body);
    return { statusCode: outcome.statusCode, json: outcome.json, itemCount };
  }
  const outputs: string[] = [];
  let sliceStart = performance.now();
  for (const item of items) {
    if (performance.now() - sliceStart >= BULK_SLICE_MS) {
      store.flush();
      await nextTurn();
      sliceStart = performance.now();
    }
    let outcome: Outcome;
    if (isOperation(item._type)) {
      outcome = execute(store, item._type, item, item.idempotency_key, scope);
    } else {
      outcome = failure(
        422,
        'unknown_action',
        `Unknown bulk item _type ${JSON.stringify(item._type)}: use agent_instances/register|start|finish|record_quality or agent_spans/create|finish`,
      );
    }
    // Keys are unique within a request, so the outputs object is spliced from texts.
    outputs.push(`${JSON.stringify(item.idempotency_key)}:${minimal ? minimalJson(outcome) : outcome.json}`);
    if (outcome.body.status === 'error') break;
  }
  return { statusCode: 200, json: `{"status":"success","outputs":{${outputs.join(',')}}}`, itemCount };
}

/** An idempotency key as `IdempotencyKey` accepts it: a string of 8 to 64 characters. */
function isKey(value: unknown): value is string {
  return typeof value === 'string' && value.length >= MIN_IDEMPOTENCY_KEY_LENGTH && value.length <= MAX_IDEMPOTENCY_KEY_LENGTH;
}

/** How many fields of an item `BulkItem` rejects (0, 1 or 2). */
function itemIssueCount(item: unknown): number {
  if (!isNonArrayObject(item)) return 1;
  const type = item._type;
  return (typeof type === 'string' && type.length > 0 ? 0 : 1) + (isKey(item.idempotency_key) ? 0 : 1);
}

/** The items of a body `BulkRequest` accepts, else `undefined`. */
function envelopeItems(body: unknown): EnvelopeItem[] | undefined {
  if (!isNonArrayObject(body)) return undefined;
  const { items, idempotency_key: key } = body;
  if ((key !== undefined && key !== null && !isKey(key)) || !Array.isArray(items) || items.length === 0) return undefined;
  const seen = new Set<string>();
  for (const item of items as unknown[]) {
    if (itemIssueCount(item) > 0) return undefined;
    const itemKey = (item as EnvelopeItem).idempotency_key;
    if (seen.has(itemKey)) return undefined;
    seen.add(itemKey);
  }
  return items as EnvelopeItem[];
}

/**
 * The 422 of an envelope `envelopeItems` rejected, with the issues `BulkRequest` reports: the
 * top-level ones, then each bad item's (zod runs on items only until `MAX_REPORTED_ISSUES` issues
 * are in hand; the rest are counted by hand), then, when nothing else is wrong, duplicate keys.
 */
function envelopeFailure(body: unknown): Outcome {
  const issues: z.core.$ZodIssue[] = [...(TopLevel.safeParse(body).error?.issues ?? [])];
  let count = issues.length;
  const items: unknown[] = isNonArrayObject(body) && Array.isArray(body.items) ? body.items : [];
  items.forEach((item, index) => {
    const itemIssues = itemIssueCount(item);
    if (itemIssues === 0) return;
    count += itemIssues;
    if (issues.length >= MAX_REPORTED_ISSUES) return;
    for (const issue of BulkItem.safeParse(item).error!.issues) issues.push({ ...issue, path: ['items', index, ...issue.path] });
  });
  if (count === 0) {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const key = (item as EnvelopeItem).idempotency_key;
      if (seen.has(key)) {
        if (count++ < MAX_REPORTED_ISSUES) issues.push({ code: 'custom', input: key, path: ['items', index, 'idempotency_key'], message: `duplicate idempotency_key ${JSON.stringify(key)}` });
      }
      seen.add(key);
    });
  }
  return validationFailure(issues, [], count);
}
