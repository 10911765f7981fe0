import type { AgentSchemaVersionForRegister, AgentStatus, AgentVersionForRegister, FinishStatus } from '../models/index.js';
import type { InstanceRegistration, SpanEndEvent, SpanSink, SpanStartEvent } from '../sink.js';

/** An agent instance as an `InMemorySink` recorded it. */
export interface RecordedInstance {
  readonly id: string;
  readonly agentId: string;
  readonly agentVersion: AgentVersionForRegister;
  readonly agentSchemaVersion: AgentSchemaVersionForRegister;
  readonly environmentId: string | undefined;
  readonly purpose: string | undefined;
  /** `'pending'` once registered, `'active'` once started, then the finish status. */
  readonly status: AgentStatus;
  readonly startedAt: string | undefined;
  readonly finishedAt: string | undefined;
}

/** A span as an `InMemorySink` recorded it, payloads parsed. */
export interface RecordedSpan {
  readonly id: string;
  readonly instanceId: string;
  readonly parentId: string | undefined;
  readonly schemaName: string;
  readonly payload: Record<string, unknown>;
  /** `'active'` until it ends. */
  readonly status: AgentStatus;
  readonly resultPayload: Record<string, unknown> | undefined;
  readonly startedAt: string;
  readonly finishedAt: string | undefined;
}

/** A span with its children, in start order. */
export interface SpanNode extends RecordedSpan {
  readonly children: SpanNode[];
}

interface InstanceEntry {
  registration: InstanceRegistration;
  status: AgentStatus;
  startedAt?: string;
  finishedAt?: string;
}

/**
 * A sink that keeps every event in memory, for tests: `new Tracer({ sink: new InMemorySink() })`
 * sends nothing over the network. Read what was recorded with `spans()`, `instances()` and
 * `tree()`; simulate the killswitch with `terminate()`.
 */
export class InMemorySink implements SpanSink {
  // Events are stored as received; payloads are parsed when read, to keep the hot path cheap.
  readonly #instances = new Map<string, InstanceEntry>();
  // Appended as received (no lookups on the hot path); matched by id when read.
  #starts: SpanStartEvent[] = [];
  #ends: SpanEndEvent[] = [];
  #terminate: ((instanceId: string, reason: string) => void) | undefined;

  registerInstance(registration: InstanceRegistration): void {
    this.#instances.set(registration.id, { registration, status: 'pending' });
  }

  startInstance(instanceId: string, timestamp: string): void {
    const entry = this.#instances.get(instanceId);
    if (entry === undefined) return;
    entry.status = 'active';
    entry.startedAt = timestamp;
  }

  finishInstance(instanceId: string, status: FinishStatus, timestamp: string): void {
    const entry = this.#instances.get(instanceId);
    if (entry === undefined) return;
    entry.status = status;
    entry.finishedAt = timestamp;
  }

  spanStarted(span: SpanStartEvent): void {
    this.#starts.push(span);
  }

  spanEnded(span: SpanEndEvent): void {
    this.#ends.push(span);
  }

  async flush(): Promise<boolean> {
    return true;
  }

  async shutdown(): Promise<boolean> {
    return true;
  }

  setTerminateHandler(handler: (instanceId: string, reason: string) => void): void {
    this.#terminate = handler;
  }

  /** Simulates the API's killswitch for `instanceId`, as the delivery engine would on `control.terminate`. */
  terminate(instanceId: string, reason: string): void {
    this.#terminate?.(instanceId, reason);
  }

  /** Every instance, in registration order. */
  instances(): RecordedInstance[] {
    return [...this.#instances.values()].map(({ registration, status, startedAt, finishedAt }) => ({
      id: registration.id,
      agentId: registration.agentId,
      agentVersion: registration.agentVersion,
      agentSchemaVersion: registration.agentSchemaVersion,
      environmentId: registration.environmentId,
      purpose: registration.purpose,
      status,
      startedAt,
      finishedAt,
    }));
  }

  /** The instance with this id, or `undefined`. */
  instance(instanceId: string): RecordedInstance | undefined {
    return this.instances().find((instance) => instance.id === instanceId);
  }

  /** Every span in start order; only those of `instanceId` when given. */
  spans(instanceId?: string): RecordedSpan[] {
    const ends = new Map<string, SpanEndEvent>();
    for (const end of this.#ends) ends.set(end.id, end);
    const spans: RecordedSpan[] = [];
    for (const start of this.#starts) {
      if (instanceId !== undefined && start.instanceId !== instanceId) continue;
      const end = ends.get(start.id);
      spans.push({
        id: start.id,
        instanceId: start.instanceId,
        parentId: start.parentId,
        schemaName: start.schemaName,
        payload: JSON.parse(start.payloadJson) as Record<string, unknown>,
        status: end?.status ?? 'active',
        resultPayload: end?.resultPayloadJson === undefined ? undefined : (JSON.parse(end.resultPayloadJson) as Record<string, unknown>),
        startedAt: start.startedAt,
        finishedAt: end?.finishedAt,
      });
    }
    return spans;
  }

  /** The span with this id, or `undefined`. */
  span(spanId: string): RecordedSpan | undefined {
    return this.spans().find((span) => span.id === spanId);
  }

  /** The spans of `instanceId` as a forest: its root spans, each with its children, in start order. */
  tree(instanceId: string): SpanNode[] {
    const nodes = new Map<string, SpanNode>();
    for (const span of this.spans(instanceId)) nodes.set(span.id, { ...span, children: [] });
    const roots: SpanNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.parentId === undefined ? undefined : nodes.get(node.parentId);
      (parent === undefined ? roots : parent.children).push(node);
    }
    return roots;
  }

  /** Forgets everything recorded (the terminate handler stays). */
  clear(): void {
    this.#instances.clear();
    this.#starts = [];
    this.#ends = [];
  }
}
