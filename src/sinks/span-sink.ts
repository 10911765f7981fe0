import type { AgentSchemaVersionForRegister, AgentVersionForRegister, FinishStatus } from '../models/index.js';

/**
 * The seam between the tracer and whatever receives its events (OpenTelemetry's span processor /
 * exporter split). The tracer calls these methods synchronously on the user's hot path: an
 * implementation must return at once, never throw, and never call back into user code. The
 * delivery engine (`src/delivery/`) implements it to send to the API; `InMemorySink` keeps
 * everything for tests.
 *
 * Timestamps are ISO 8601 strings with milliseconds. Payloads arrive as JSON text, serialised once
 * when the span started, so later mutation by the user cannot change what is sent.
 */
export interface SpanSink {
  /** A new agent instance; comes before any other event about it. */
  registerInstance(instance: InstanceRegistration): void;
  /** The instance started running. */
  startInstance(instanceId: string, timestamp: string): void;
  /** The instance finished; no span event of this instance follows. */
  finishInstance(instanceId: string, status: FinishStatus, timestamp: string): void;
  /** A span opened. Its parent's `spanStarted` has been called before. */
  spanStarted(span: SpanStartEvent): void;
  /** A span ended. Called at most once per span, after its `spanStarted`. */
  spanEnded(span: SpanEndEvent): void;
  /**
   * Resolves `true` once everything received before the call is delivered or finally dropped,
   * `false` when `timeoutMs` passes first. Never rejects.
   */
  flush(timeoutMs: number): Promise<boolean>;
  /** Flushes, then releases every resource. Idempotent. Resolves like `flush`; never rejects. */
  shutdown(timeoutMs: number): Promise<boolean>;
  /**
   * Called once by the tracer with the function to call when the API asks an instance to stop
   * (`control.terminate` in a span response).
   */
  setTerminateHandler?(handler: (instanceId: string, reason: string) => void): void;
  /** Delivery counters, merged into `tracer.stats()`. */
  stats?(): DeliveryStats;
}

/** An agent instance as the tracer registers it. */
export interface InstanceRegistration {
  readonly id: string;
  /** `undefined` when the token decides the agent (a deployment-scoped token): the register leaves `agent_id` out. */
  readonly agentId: string | undefined;
  readonly agentVersion: AgentVersionForRegister;
  readonly agentSchemaVersion: AgentSchemaVersionForRegister;
  readonly environmentId?: string | undefined;
  readonly purpose?: string | undefined;
}

/** A span that has just opened. */
export interface SpanStartEvent {
  readonly id: string;
  readonly instanceId: string;
  /** The enclosing span, or `undefined` for a root span of the instance. */
  readonly parentId: string | undefined;
  readonly schemaName: string;
  /** The payload as JSON text of an object, e.g. `{"model":"m"}`. */
  readonly payloadJson: string;
  readonly startedAt: string;
  /**
   * The span belongs to an instance continued from another process (`continueFrom`): its instance or
   * parent may reach the API after it, so a create refused as not found is retried for a while.
   */
  readonly remote?: boolean;
}

/** A span that has just ended. */
export interface SpanEndEvent {
  readonly id: string;
  readonly instanceId: string;
  readonly status: FinishStatus;
  /** The result payload as JSON text of an object, or `undefined` when there is none. */
  readonly resultPayloadJson: string | undefined;
  readonly finishedAt: string;
}

/** Why an operation was given up. Every drop is counted under one of these. */
export type DropReason =
  | 'queue_overflow'
  | 'rejected_by_server'
  | 'dependency_dropped'
  | 'shutdown_timeout'
  | 'after_shutdown'
  | 'serialization'
  | 'parent_not_found';

export const DROP_REASONS: readonly DropReason[] = [
  'queue_overflow',
  'rejected_by_server',
  'dependency_dropped',
  'shutdown_timeout',
  'after_shutdown',
  'serialization',
  'parent_not_found',
];

/** What the delivery engine did so far, and what it holds now. */
export interface DeliveryStats {
  /** Operations (register/start/finish of instances, create/finish of spans) accepted into the queue. */
  readonly operationsEnqueued: number;
  /** Operations the API confirmed (a 409 `invalid_action` on a finish counts: already finished). */
  readonly operationsSent: number;
  /** Attempts beyond the first, summed over operations. */
  readonly operationsRetried: number;
  /** Span finishes folded into their span's create before it was sent. */
  readonly operationsCoalesced: number;
  /** Bulk requests that got an answer. */
  readonly batchesSent: number;
  /** HTTP requests made, bulk and single, including retries. */
  readonly requestsSent: number;
  /** Operations given up, by reason. */
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** Operations waiting now. */
  readonly queued: number;
  /** Operations in a request now. */
  readonly inFlight: number;
  /** Bytes held now, as counted against `maxQueueBytes` (queued and in flight, and delivered texts still kept in memory beside them). */
  readonly bytesHeld: number;
}
