import { z } from 'zod';
import {
  CreateAgentSpanRequest,
  FinishAgentInstanceRequest,
  FinishAgentSpanRequest,
  RegisterAgentInstanceRequest,
  StartAgentInstanceRequest,
} from '../models/index.js';
import type { BulkItemType } from '../models/index.js';
import { sameInput } from './records.js';
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
  'agent_instances/register': RegisterAgentInstanceRequest,
  'agent_instances/start': StartAgentInstanceRequest.extend({ agent_instance_id: z.string().min(1) }),
  'agent_instances/finish': FinishAgentInstanceRequest.extend({ agent_instance_id: z.string().min(1) }),
  'agent_spans/create': CreateAgentSpanRequest,
  'agent_spans/finish': FinishAgentSpanRequest.extend({ agent_span_id: z.string().min(1) }),
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
    if (sameInput(stored, input)) return success(stored.res.details, stored.res.control);
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
    case 'agent_instances/register':
      return store.register(input as Inputs[typeof type]);
    case 'agent_instances/start': {
      const { agent_instance_id, timestamp } = input as Inputs[typeof type];
      return store.start(agent_instance_id, timestamp);
    }
    case 'agent_instances/finish': {
      const { agent_instance_id, status, timestamp } = input as Inputs[typeof type];
      return store.finishInstance(agent_instance_id, status, timestamp);
    }
    case 'agent_spans/create':
      return store.createSpan((input as Inputs[typeof type]).details, 'details');
    case 'agent_spans/finish': {
      const { agent_span_id, status, result_payload, timestamp } = input as Inputs[typeof type];
      return store.finishSpan(agent_span_id, status, result_payload, timestamp);
    }
  }
}
