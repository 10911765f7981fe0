import { z } from 'zod';
import { AgentStatus, FinishStatus, IdempotencyKey, IsoTimestamp, JsonObject, TimestampInput } from './common.js';

/** The `details` of `POST /api/v1/agent_spans`. */
export const CreateAgentSpanDetails = z.object({
  agent_instance_id: z.string().min(1),
  schema_name: z.string().min(1),
  status: AgentStatus,
  payload: JsonObject.nullish(),
  result_payload: JsonObject.nullish(),
  id: z.string().min(1).nullish(),
  parent_span_id: z.string().min(1).nullish(),
  started_at: TimestampInput.nullish(),
  finished_at: TimestampInput.nullish(),
});
export type CreateAgentSpanDetails = z.input<typeof CreateAgentSpanDetails>;

/** Body of `POST /api/v1/agent_spans`: `{details, idempotency_key}`. */
export const CreateAgentSpanRequest = z.object({
  details: CreateAgentSpanDetails,
  idempotency_key: IdempotencyKey.nullish(),
});
export type CreateAgentSpanRequest = z.input<typeof CreateAgentSpanRequest>;

/** Body of `POST /api/v1/agent_spans/{id}/finish`. */
export const FinishAgentSpanRequest = z.object({
  status: FinishStatus.nullish(),
  result_payload: JsonObject.nullish(),
  timestamp: TimestampInput.nullish(),
  idempotency_key: IdempotencyKey.nullish(),
});
export type FinishAgentSpanRequest = z.input<typeof FinishAgentSpanRequest>;

/** An agent span as the API returns it. Fields the API adds later are kept. */
export const AgentSpan = z.looseObject({
  type: z.literal('agent_span'),
  id: z.string(),
  account_id: z.string().nullish(),
  agent_id: z.string().nullish(),
  agent_instance_id: z.string(),
  parent_span_id: z.string().nullish(),
  schema_name: z.string(),
  schema_title: z.string().nullish(),
  status: AgentStatus,
  payload: JsonObject.default({}),
  result_payload: JsonObject.nullish(),
  summary: z.string().nullish(),
  started_at: IsoTimestamp.nullish(),
  inserted_at: IsoTimestamp.nullish(),
  updated_at: IsoTimestamp.nullish(),
  finished_at: IsoTimestamp.nullish(),
});
export type AgentSpan = z.infer<typeof AgentSpan>;

/**
 * The killswitch: the API may attach `control` to a span create/finish response (and to the
 * matching bulk output) to tell the agent to stop its instance.
 */
export const SpanControl = z.looseObject({
  terminate: z.boolean(),
  reason: z.string().nullish(),
});
export type SpanControl = z.infer<typeof SpanControl>;

/** A span returned by create/finish, with the response's `control` when the API sent one. */
export type AgentSpanWithControl = AgentSpan & { control?: SpanControl };
