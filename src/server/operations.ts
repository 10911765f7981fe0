import { z } from 'zod';
import type { BulkItemType } from '../models/index.js';
import { BULK_TYPE } from '../models/routes.js';
import { sameInput } from './records.js';
import type { TokenScope } from './records.js';
import { failure, success, validationFailure } from './responses.js';
import type { Outcome } from './responses.js';
import { CreateSpanBody, FinishInstanceBody, FinishSpanBody, RecordQualityBody, RegisterBody, StartBody } from './schemas.js';
import type { Store } from './store.js';

/** The bulk `_type` of `record_quality` (the local server's choice: the API documents no bulk form). */
export const RECORD_QUALITY = 'agent_instances/record_quality';

/** The write operations: the bulk item types and `record_quality`. */
export type Operation = BulkItemType | typeof RECORD_QUALITY;

/**
 * The write operations, shared by the single endpoints and the bulk endpoint: a single endpoint's
 * body plus its path parameter is exactly a bulk item, so both validate and replay alike.
 * Idempotency records are kept per operation (route) and key; only successes are stored (an error
 * applied nothing, so evaluating it again is safe).
 */
const SCHEMAS = {
  [BULK_TYPE.registerAgentInstance]: RegisterBody,
  [BULK_TYPE.startAgentInstance]: StartBody.extend({ agent_instance_id: z.string().min(1) }),
  [BULK_TYPE.finishAgentInstance]: FinishInstanceBody.extend({ agent_instance_id: z.string().min(1) }),
  [BULK_TYPE.createAgentSpan]: CreateSpanBody,
  [BULK_TYPE.finishAgentSpan]: FinishSpanBody.extend({ agent_span_id: z.string().min(1) }),
  [RECORD_QUALITY]: RecordQualityBody.extend({ agent_instance_id: z.string().min(1) }),
} as const;

type Inputs = { [K in Operation]: z.output<(typeof SCHEMAS)[K]> };

/** Whether `type` names one of the operations. */
export function isOperation(type: string): type is Operation {
  return Object.hasOwn(SCHEMAS, type);
}

/**
 * A span create in the flat shape (the fields next to `_type`, as the Python client's docs show a
 * bulk item) in the `{details}` shape; any other body unchanged.
 */
function spanCreateBody(raw: unknown): unknown {
  const body = raw as Record<string, unknown>;
  if (body.details !== undefined || body.agent_instance_id === undefined) return raw;
  const { _type: _ignoredType, idempotency_key, ...details } = body;
  return { details, idempotency_key };
}

/**
 * Validates `raw` for operation `type` (its one validation), replays or applies it, and returns the
 * outcome. `scope` is what the request's token stands for (it decides a register's agent).
 */
export function execute(store: Store, type: Operation, raw: unknown, key: string | undefined, scope: TokenScope): Outcome {
  const parsed = SCHEMAS[type].safeParse(type === 'agent_spans/create' ? spanCreateBody(raw) : raw);
  if (!parsed.success) return validationFailure(parsed.error.issues);
  const input = parsed.data;
  if (key === undefined) return apply(store, type, input, scope);
  const stored = store.recall(type, key);
  if (stored) {
    // Compared (and the response serialised again) only on a replay, which is rare.
    if (sameInput(stored, input)) return success(stored.res.details, stored.res.control);
    return failure(
      422,
      'idempotency_conflict',
      `Idempotency key ${JSON.stringify(key)} was already used for ${type} with a different body: use a new key for a new request`,
    );
  }
  const outcome = apply(store, type, input, scope);
  if (outcome.body.status === 'success') store.remember(type, key, input, outcome);
  return outcome;
}

function apply(store: Store, type: Operation, input: Inputs[Operation], scope: TokenScope): Outcome {
  switch (type) {
    case BULK_TYPE.registerAgentInstance:
      return store.register(input as Inputs[typeof type], scope);
    case BULK_TYPE.startAgentInstance: {
      const { agent_instance_id, timestamp } = input as Inputs[typeof type];
      return store.start(agent_instance_id, timestamp);
    }
    case BULK_TYPE.finishAgentInstance: {
      const { agent_instance_id, status, timestamp } = input as Inputs[typeof type];
      return store.finishInstance(agent_instance_id, status, timestamp);
    }
    case BULK_TYPE.createAgentSpan:
      return store.createSpan((input as Inputs[typeof type]).details, 'details');
    case BULK_TYPE.finishAgentSpan: {
      const { agent_span_id, status, result_payload, timestamp } = input as Inputs[typeof type];
      return store.finishSpan(agent_span_id, status, result_payload, timestamp);
    }
    case RECORD_QUALITY: {
      const { agent_instance_id, name, payload } = input as Inputs[typeof type];
      return store.recordQuality(agent_instance_id, name, payload);
    }
  }
}
