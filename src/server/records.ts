import { createHash } from 'node:crypto';
import type { AgentInstanceSpanCounts, AgentStatus } from '../models/index.js';
import type { SuccessBody } from './responses.js';

/** An instance as stored: the wire shape without `span_counts` (kept apart, always current). */
export interface InstanceRecord {
  type: 'agent_instance';
  id: string;
  account_id: string;
  agent_id: string;
  agent_version_id: string;
  environment_id: string;
  /** The deployment the instance runs in (absent in journals written before deployments). */
  agent_deployment_id?: string;
  status: AgentStatus;
  inserted_at: string;
  updated_at: string;
  started_at: string | null | undefined;
  finished_at: string | null | undefined;
  /** Set by the killswitch (`LocalServer.terminate`). */
  termination_reason?: string | null;
  /** Quality payloads by name (`record_quality`). */
  quality_payloads?: Record<string, Record<string, unknown>>;
}

/**
 * What a token stands for: the agent and deployment a register without `agent_id` gets. A
 * deployment-scoped token refuses (403) a register naming another agent; an account-wide one (the
 * default dev token) accepts any agent, and gives each other agent a deployment of its own.
 */
export interface TokenScope {
  readonly agentId: string;
  readonly agentDeploymentId: string;
  readonly deploymentScoped: boolean;
}
/** A stored success response, replayed for a repeated idempotency key (as the journal holds it). */
export type StoredResponse = SuccessBody;

/** What an idempotency key on a route answered: the validated input (or its hash) and the success body. */
export interface IdempotencyRecord {
  /** The validated input (kept in memory when there is no journal). */
  readonly input?: unknown;
  /** `hashInput` of the validated input (journaled and replayed). */
  readonly hash?: string;
  readonly res: StoredResponse;
}

/** Whether `input` is what `record` answered (same canonical JSON). */
export function sameInput(record: IdempotencyRecord, input: unknown): boolean {
  return record.hash === undefined ? canonicalInput(record.input) === canonicalInput(input) : record.hash === hashInput(input);
}

/** The SHA-256 (base64) of `canonicalInput(input)`: what tells a retry from a conflicting reuse of a key. */
export function hashInput(input: unknown): string {
  return createHash('sha256').update(canonicalInput(input)).digest('base64');
}

/**
 * The JSON text an idempotency record's input is compared by (a replay vs a conflict) and journaled
 * as: the input without its `idempotency_key` (which may come from the body or the header).
 */
export function canonicalInput(input: unknown): string {
  const { idempotency_key: _ignored, ...rest } = input as Record<string, unknown>;
  return JSON.stringify(rest);
}

let lastMs = Number.NaN;
let lastIso = '';

/** `new Date().toISOString()`, formatted once per millisecond (a bulk request stores many records in one). */
export function nowIso(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Input of a registration, as validated. */
export interface RegisterInput {
  agent_id?: string | null | undefined;
  id?: string | null | undefined;
  environment_id?: string | null | undefined;
  agent_version?: { name?: string | null | undefined; external_identifier?: string | null | undefined } | null | undefined;
}

/** Input of a span creation, as validated. */
export interface SpanInput {
  agent_instance_id: string;
  schema_name: string;
  status: AgentStatus;
  payload?: Record<string, unknown> | null | undefined;
  result_payload?: Record<string, unknown> | null | undefined;
  id?: string | null | undefined;
  parent_span_id?: string | null | undefined;
  started_at?: string | null | undefined;
  finished_at?: string | null | undefined;
}

/** The `account_id` of everything the local server stores. */
export const LOCAL_ACCOUNT_ID = 'local';
/** The statuses a finish sets. */
export const FINISHED = new Set<AgentStatus>(['complete', 'failed', 'cancelled']);

/** Counts of an instance without spans. */
export const emptyCounts = (): AgentInstanceSpanCounts => ({
  total: 0,
  pending: 0,
  active: 0,
  complete: 0,
  failed: 0,
  cancelled: 0,
  finished: 0,
});

/** Moves one span into (`1`) or out of (`-1`) `status` in `counts` (`total` is counted apart). */
export function countSpan(counts: AgentInstanceSpanCounts, status: AgentStatus, delta: 1 | -1): void {
  counts[status] += delta;
  if (FINISHED.has(status)) counts.finished += delta;
}
