import { z } from 'zod';
import {
  AgentSchemaVersionForRegister,
  AgentVersionForRegister,
  CreateAgentSpanDetails,
  FinishAgentInstanceRequest,
  FinishAgentSpanRequest,
  IsoTimestamp,
  JsonObject,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  RegisterAgentInstanceRequest,
  StartAgentInstanceRequest,
} from '../models/index.js';

/**
 * The request bodies as the local server accepts them: the client's models, made as tolerant as the
 * API the server stands in for (see the README's "Compatibility").
 *
 * - An idempotency key on a single endpoint is any non-empty string up to 64 characters (only bulk
 *   items document 8..64; the bulk envelope checks that).
 * - A timestamp without a UTC offset (Python's `datetime.now().isoformat()`) is read as UTC.
 * - `agent_id` of a register is optional (a deployment-scoped token decides the agent), and so are
 *   `agent_version` and `agent_schema_version` (the official TypeScript SDK leaves the schema out
 *   when none is registered).
 */
const Key = z.string().min(1).max(MAX_IDEMPOTENCY_KEY_LENGTH).nullish();

/** An ISO 8601 timestamp; without an offset it is read as UTC (`Z` appended). */
export const ServerTimestamp = z.union([
  IsoTimestamp,
  z.iso.datetime({ local: true }).transform((value) => `${value}Z`),
]);

export const RegisterBody = RegisterAgentInstanceRequest.extend({
  agent_id: z.string().min(1).nullish(),
  agent_version: AgentVersionForRegister.nullish(),
  agent_schema_version: AgentSchemaVersionForRegister.nullish(),
  idempotency_key: Key,
});

export const StartBody = StartAgentInstanceRequest.extend({ timestamp: ServerTimestamp.nullish(), idempotency_key: Key });

export const FinishInstanceBody = FinishAgentInstanceRequest.extend({ timestamp: ServerTimestamp.nullish(), idempotency_key: Key });

export const CreateSpanBody = z.object({
  details: CreateAgentSpanDetails.extend({ started_at: ServerTimestamp.nullish(), finished_at: ServerTimestamp.nullish() }),
  idempotency_key: Key,
});

export const FinishSpanBody = FinishAgentSpanRequest.extend({ timestamp: ServerTimestamp.nullish(), idempotency_key: Key });

/** `POST /api/v1/agent_instance/{id}/record_quality`: `payload: null` removes the name. */
export const RecordQualityBody = z.object({ name: z.string().min(1), payload: JsonObject.nullable(), idempotency_key: Key });
