import { z } from 'zod';
import { IdempotencyKey } from './common.js';
import { BULK_ITEM_TYPES } from './routes.js';

/**
 * The operations the bulk endpoint knows. Each item carries the same fields as the single endpoint's
 * body, plus the path parameter (`agent_instance_id` for instance start/finish, `agent_span_id` for
 * span finish).
 */
export const BulkItemType = z.enum(BULK_ITEM_TYPES);
export type BulkItemType = z.infer<typeof BulkItemType>;

/** One item of a bulk request: `{_type, idempotency_key, ...params}`. */
export const BulkItem = z.looseObject({
  _type: z.string().min(1),
  idempotency_key: IdempotencyKey,
});
export type BulkItem = z.infer<typeof BulkItem>;

/** Body of `POST /api/v1/bulk`: at least one item, idempotency keys unique within the request. */
export const BulkRequest = z
  .object({ items: z.array(BulkItem).min(1), idempotency_key: IdempotencyKey.nullish() })
  .superRefine(({ items }, ctx) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      if (seen.has(item.idempotency_key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['items', index, 'idempotency_key'],
          message: `duplicate idempotency_key ${JSON.stringify(item.idempotency_key)}`,
        });
      }
      seen.add(item.idempotency_key);
    });
  });
export type BulkRequest = z.input<typeof BulkRequest>;

/** One item's outcome: `{status: 'success', details, control?}` or `{status: 'error', code, message, errors?}`. */
export const BulkOutput = z.looseObject({ status: z.enum(['success', 'error']) });
export type BulkOutput = z.infer<typeof BulkOutput> & {
  details?: unknown;
  code?: string;
  message?: string;
  errors?: Record<string, unknown> | null;
  control?: { terminate: boolean; reason?: string | null };
};

/** Response of the bulk endpoint: outputs keyed by item idempotency key; unprocessed items are absent. */
export const BulkResponse = z.looseObject({
  status: z.string().default('success'),
  outputs: z.record(z.string(), BulkOutput),
});
export type BulkResponse = { status: string; outputs: Record<string, BulkOutput> };
