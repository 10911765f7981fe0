import type { AgentSchemaVersionForRegister, AgentStatus, AgentVersionForRegister, FinishStatus } from '../models/index.js';
import type { InstanceRegistration, SpanEndEvent, SpanSink, SpanStartEvent } from './span-sink.js';
import { buildForest } from '../util/forest.js';

/** An agent instance as an `InMemorySink` recorded it. */
export interface RecordedInstance {
  readonly id: string;
  readonly agentId: string | undefined;
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

/** Slots per span event in the flat arrays: id, instanceId, parentId, schemaName, payloadJson, startedAt. */
const START_FIELDS = 6;
/** id, status, resultPayloadJson, finishedAt. */
const END_FIELDS = 4;

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
  readonly #instances = new Map<string, InstanceEntry>();
  // Span events are appended as received (no lookups on the hot path) and matched by id when read;
  // payloads are parsed when read. Their fields go into flat arrays (START_FIELDS and END_FIELDS
  // slots per event) rather than keeping the event objects: the events die young, and the garbage
  // collector does not copy a pair of objects per span from one generation to the next.
  #starts: (string | undefined)[] = [];
  #ends: (string | undefined)[] = [];
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
    this.#starts.push(span.id, span.instanceId, span.parentId, span.schemaName, span.payloadJson, span.startedAt);
  }

  spanEnded(span: SpanEndEvent): void {
    this.#ends.push(span.id, span.status, span.resultPayloadJson, span.finishedAt);
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
    const ends = this.#ends;
    // The index of the end event of each span id; a later end event of an id wins, as received.
    const endOf = new Map<string | undefined, number>();
    for (let at = 0; at < ends.length; at += END_FIELDS) endOf.set(ends[at], at);
    const starts = this.#starts;
    const spans: RecordedSpan[] = [];
    for (let at = 0; at < starts.length; at += START_FIELDS) {
      if (instanceId !== undefined && starts[at + 1] !== instanceId) continue;
      const end = endOf.get(starts[at]);
      const result = end === undefined ? undefined : ends[end + 2];
      spans.push({
        id: starts[at]!,
        instanceId: starts[at + 1]!,
        parentId: starts[at + 2],
        schemaName: starts[at + 3]!,
        payload: JSON.parse(starts[at + 4]!) as Record<string, unknown>,
        status: end === undefined ? 'active' : (ends[end + 1] as FinishStatus),
        resultPayload: result === undefined ? undefined : (JSON.parse(result) as Record<string, unknown>),
        startedAt: starts[at + 5]!,
        finishedAt: end === undefined ? undefined : ends[end + 3],
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
    return buildForest(this.spans(instanceId), {
      id: (span) => span.id,
      parentId: (span) => span.parentId,
      node: (span): SpanNode => ({ ...span, children: [] }),
    });
  }

  /** Forgets everything recorded (the terminate handler stays). */
  clear(): void {
    this.#instances.clear();
    this.#starts = [];
    this.#ends = [];
  }
}
