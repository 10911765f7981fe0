import { z } from 'zod';
import { AgentStatus, FinishStatus, IdempotencyKey, IsoTimestamp, JsonObject, TimestampInput } from './common.js';
import { DataRisk } from './data-risk.js';

/** One span type of an agent's schema version, as registered. */
export const SpanTypeSchemaForCreate = z.looseObject({
  name: z.string().min(1),
  params_schema: JsonObject,
  result_schema: JsonObject.nullish(),
  title: z.string().nullish(),
  description: z.string().nullish(),
  template: z.string().nullish(),
  data_risk: DataRisk.nullish(),
});
export type SpanTypeSchemaForCreate = z.input<typeof SpanTypeSchemaForCreate>;

/** The agent version an instance runs. */
export const AgentVersionForRegister = z.looseObject({
  name: z.string().nullish(),
  external_identifier: z.string().nullish(),
  description: z.string().nullish(),
});
export type AgentVersionForRegister = z.input<typeof AgentVersionForRegister>;

/** The schema version (the span types) an instance uses. */
export const AgentSchemaVersionForRegister = z.looseObject({
  external_identifier: z.string().nullish(),
  span_schemas: z.record(z.string(), JsonObject).nullish(),
  span_result_schemas: z.record(z.string(), JsonObject).nullish(),
  span_type_schemas: z.array(SpanTypeSchemaForCreate).nullish(),
});
export type AgentSchemaVersionForRegister = z.input<typeof AgentSchemaVersionForRegister>;

/** Body of `POST /api/v1/agent_instance/register` (flat). Without `agent_id`, the token (deployment-scoped) decides the agent. */
export const RegisterAgentInstanceRequest = z.object({
  agent_id: z.string().min(1).nullish(),
  agent_version: AgentVersionForRegister,
  agent_schema_version: AgentSchemaVersionForRegister,
  id: z.string().min(1).nullish(),
  idempotency_key: IdempotencyKey.nullish(),
  update_current_version: z.boolean().nullish(),
  environment_id: z.string().nullish(),
  purpose: z.string().nullish(),
});
export type RegisterAgentInstanceRequest = z.input<typeof RegisterAgentInstanceRequest>;

/** Body of `POST /api/v1/agent_instance/{id}/start`. */
export const StartAgentInstanceRequest = z.object({
  timestamp: TimestampInput.nullish(),
  idempotency_key: IdempotencyKey.nullish(),
});
export type StartAgentInstanceRequest = z.input<typeof StartAgentInstanceRequest>;

/** Body of `POST /api/v1/agent_instance/{id}/finish`. */
export const FinishAgentInstanceRequest = z.object({
  status: FinishStatus.nullish(),
  timestamp: TimestampInput.nullish(),
  idempotency_key: IdempotencyKey.nullish(),
});
export type FinishAgentInstanceRequest = z.input<typeof FinishAgentInstanceRequest>;

/** How many spans of an instance are in each status. */
export const AgentInstanceSpanCounts = z.looseObject({
  total: z.number().int(),
  pending: z.number().int(),
  active: z.number().int(),
  complete: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  finished: z.number().int(),
});
export type AgentInstanceSpanCounts = z.infer<typeof AgentInstanceSpanCounts>;

/** Body of `POST /api/v1/agent_instance/{id}/record_quality`: `payload: null` removes the quality payload `name`. */
export const RecordQualityRequest = z.object({
  name: z.string().min(1),
  payload: JsonObject.nullable(),
  idempotency_key: IdempotencyKey.nullish(),
});
export type RecordQualityRequest = z.input<typeof RecordQualityRequest>;

/**
 * The status of an agent instance as the API may report it: a span status, or `terminated` (an
 * instance stopped by the killswitch; the tracer treats it as the killswitch).
 */
export const AgentInstanceStatus = z.enum([...AgentStatus.options, 'terminated']);
export type AgentInstanceStatus = z.infer<typeof AgentInstanceStatus>;

/** An agent instance as the API returns it. Fields the API adds later are kept. */
export const AgentInstance = z.looseObject({
  type: z.literal('agent_instance'),
  id: z.string(),
  account_id: z.string(),
  agent_id: z.string(),
  agent_version_id: z.string(),
  environment_id: z.string(),
  /** The deployment the instance runs in (answers of older API versions lack it). */
  agent_deployment_id: z.string().nullish(),
  status: AgentInstanceStatus,
  inserted_at: IsoTimestamp,
  updated_at: IsoTimestamp,
  started_at: IsoTimestamp.nullish(),
  finished_at: IsoTimestamp.nullish(),
  span_counts: AgentInstanceSpanCounts.nullish(),
  termination_reason: z.string().nullish(),
  purpose: z.string().nullish(),
  /** Quality payloads by name (`record_quality`). */
  quality_payloads: z.record(z.string(), JsonObject).nullish(),
});
export type AgentInstance = z.infer<typeof AgentInstance>;
