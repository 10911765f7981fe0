import { z } from 'zod';
import {
  CreateAgentSpanRequest,
  FinishAgentInstanceRequest,
  FinishAgentSpanRequest,
  RegisterAgentInstanceRequest,
  StartAgentInstanceRequest,
} from '../models/index.js';
import type { BulkItemType } from '../models/index.js';
import { BULK_TYPE } from '../models/routes.js';
import { canonicalInput } from './records.js';
import { failure, success, validationFailure } from './responses.js';
import type { Outcome } from './responses.js';
import type { Store } from './store.js';

/**
 * The five write operations, shared by the single endpoints and the bulk endpoint: a single
 * endpoint's body plus its path parameter is exactly a bulk item, so both validate and replay alike.
 * Idempotency records are kept per operation (route) and key; only successes are stored (an error
 * applied nothing, so evaluating it again is safe).
 */
const SCHEMAS = {
  [BULK_TYPE.registerAgentInstance]: RegisterAgentInstanceRequest,
  [BULK_TYPE.startAgentInstance]: StartAgentInstanceRequest.extend({ agent_instance_id: z.string().min(1) }),
  [BULK_TYPE.finishAgentInstance]: FinishAgentInstanceRequest.extend({ agent_instance_id: z.string().min(1) }),
  [BULK_TYPE.createAgentSpan]: CreateAgentSpanRequest,
  [BULK_TYPE.finishAgentSpan]: FinishAgentSpanRequest.extend({ agent_span_id: z.string().min(1) }),
} as const;

type Inputs = { [K in BulkItemType]: z.output<(typeof SCHEMAS)[K]> };

/** Whether `type` names one of the operations. */
export function isOperation(type: string): type is BulkItemType {
  return Object.hasOwn(SCHEMAS, type);
}

/** Validates `raw` for operation `type` (its one validation), replays or applies it, and returns the outcome. */
export function execute(store: Store, type: BulkItemType, raw: unknown, key: string | undefined): Outcome {
  const parsed = SCHEMAS[type].safeParse(raw);
  if (!parsed.success) return validationFailure(parsed.error.issues);
  const input = parsed.data;
  if (key === undefined) return apply(store, type, input);
  const stored = store.recall(type, key);
  if (stored) {
    // Compared (and the response serialised again) only on a replay, which is rare.
    if (canonicalInput(stored.input) === canonicalInput(input)) return success(stored.res.details, stored.res.control);
    return failure(
      422,
      'idempotency_conflict',
      `Idempotency key ${JSON.stringify(key)} was already used for ${type} with a different body: use a new key for a new request`,
    );
  }
  const outcome = apply(store, type, input);
  if (outcome.body.status === 'success') store.remember(type, key, input, outcome);
  return outcome;
}

function apply(store: Store, type: BulkItemType, input: Inputs[BulkItemType]): Outcome {
  switch (type) {
    case BULK_TYPE.registerAgentInstance:
      return store.register(input as Inputs[typeof type]);
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
  }
}
