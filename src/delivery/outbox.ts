import { nanoid } from 'nanoid';
import type { DropReason, InstanceRegistration, SpanEndEvent, SpanStartEvent } from '../sinks/span-sink.js';
import { CREATE, DONE, DROPPED, IN_FLIGHT, INSTANCE_FINISH, InstanceState, Operation, QUEUED, REGISTER, SPAN_FINISH, START } from './operations.js';
import { DroppedSpans } from './dropped-spans.js';
import type { DropLog } from './stats.js';

/**
 * What one held operation costs beyond its payload's bytes, counted against `maxQueueBytes`: the
 * Operation object, its id and timestamp strings and its entry in the span index, plus the room the
 * garbage collector keeps around them. Measured: 325 bytes of live heap per queued create, 365 per
 * create carrying its finish (`--expose-gc`, 200,000 spans, Node 20); in the outage benchmark the
 * RSS grows by about 1.4 times the live heap. 512 keeps RSS growth within 1.5 x `maxQueueBytes` +
 * 16 MB on Node 20. Not on Node 24: there V8 grows its young generation to 64 MB once about 28,000
 * operations are held (they survive its collections), a step no per-operation figure models
 * (README, Benchmarks).
 */
export const OPERATION_OVERHEAD_BYTES = 512;

/** What a text costs on the wire: its UTF-8 bytes (an upper bound of what V8 keeps for it too). */
const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/** How many dropped span ids are remembered, so their finishes and children are dropped too. */
const DROPPED_SPANS_KEPT = 10_000;

/**
 * The queue of operations, in enqueue order (which is causal order), with their dependencies.
 *
 * Every operation depends on at most one earlier operation (`dep`): a start on its register; a
 * create on its parent's create, or else on its instance's register/start; a span finish on its
 * create. An instance finish also waits until no other operation of its instance is held. An
 * operation may leave when its dependency is confirmed or sits earlier in the same bulk batch. Held
 * operations stay linked until confirmed or dropped, so the list head is the oldest unresolved one.
 */
export class Outbox {
  #head: Operation | undefined;
  #tail: Operation | undefined;
  #seq = 0;
  /** Linked operations (queued and in flight): what `maxQueueSize` bounds. */
  #held = 0;
  /** Linked operations waiting (not in flight). */
  queuedEntries = 0;
  /** Payload bytes of the operations waiting (not in flight): a full batch by bytes leaves at once. */
  queuedBytes = 0;
  /** Creates not yet confirmed, by span id: for coalescing and for their dependants. */
  readonly #spans = new Map<string, Operation>();
  readonly #instances = new Map<string, InstanceState>();
  readonly #droppedSpans = new DroppedSpans(DROPPED_SPANS_KEPT);
  #needsCascade = false;
  readonly #keyPrefix = nanoid(16);
  #keys = 0;
  readonly #drops: DropLog;
  readonly #maxQueueSize: number;
  // The outbox owns the counters of what passes through it (in operations; a create carrying its
  // span's finish counts 2). Every operation received counts in `enqueued`, even one refused on
  // arrival, and then sits in exactly one of sent, dropped (the drop log), queued, inFlight.
  #enqueued = 0;
  #sent = 0;
  #coalesced = 0;
  /** Attempts beyond the first, of operations the engine took again (the client's own retries are the sender's). */
  #retried = 0;
  #queued = 0;
  #inFlight = 0;
  #bytesHeld = 0;
  readonly #maxQueueBytes: number;
  /** Room beyond the bounds that only finishes may use (see `#admit`). */
  readonly #reserveSize: number;
  readonly #reserveBytes: number;
  /** Set once shutdown began: new operations count `after_shutdown`. */
  closed = false;

  constructor(drops: DropLog, maxQueueSize: number, maxQueueBytes: number) {
    this.#drops = drops;
    this.#maxQueueSize = maxQueueSize;
    this.#maxQueueBytes = maxQueueBytes;
    this.#reserveSize = Math.ceil(maxQueueSize / 10);
    this.#reserveBytes = Math.ceil(maxQueueBytes / 10);
  }

  /** Sequence number of the last operation received. */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Sequence number of the oldest operation not yet resolved (Infinity when none). */
  get oldestSeq(): number {
    return this.#head === undefined ? Number.POSITIVE_INFINITY : this.#head.seq;
  }

  get head(): Operation | undefined {
    return this.#head;
  }

  /** Operations in a request now (weighted). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Operations held (queued or in flight), and the spans they are about. O(n): for the exit report. */
  held(): { operations: number; spans: number } {
    const spans = new Set<string>();
    let operations = 0;
    for (let op = this.#head; op !== undefined; op = op.next) {
      operations += op.weight;
      if (op.kind === CREATE || op.kind === SPAN_FINISH) spans.add(op.id);
    }
    return { operations, spans: spans.size };
  }

  /** The outbox's counters, for `stats()`. */
  counts(): { enqueued: number; sent: number; coalesced: number; retried: number; queued: number; inFlight: number; bytesHeld: number } {
    return {
      enqueued: this.#enqueued,
      sent: this.#sent,
      coalesced: this.#coalesced,
      retried: this.#retried,
      queued: this.#queued,
      inFlight: this.#inFlight,
      bytesHeld: this.#bytesHeld,
    };
  }

  /** Counts an operation that did not get in. */
  #refuse(reason: DropReason): void {
    this.#drops.drop(reason, 1);
  }

  /**
   * Whether a new operation with `bytes` of payload fits (`maxQueueSize`, and `maxQueueBytes` with
   * its overhead). A finish (`ending`) may also use a reserve of a tenth beyond both bounds: what was
   * started can still end during an outage, so no span or instance stays `active` for ever.
   */
  #admit(bytes: number, ending = false): boolean {
    const size = ending ? this.#maxQueueSize + this.#reserveSize : this.#maxQueueSize;
    const total = ending ? this.#maxQueueBytes + this.#reserveBytes : this.#maxQueueBytes;
    return this.#held < size && this.#bytesHeld + bytes + OPERATION_OVERHEAD_BYTES <= total;
  }

  #link(op: Operation, instance: InstanceState | undefined, countsForInstance: boolean): void {
    op.instance = instance;
    if (instance !== undefined && countsForInstance) instance.held++;
    op.prev = this.#tail;
    if (this.#tail === undefined) this.#head = op;
    else this.#tail.next = op;
    this.#tail = op;
    this.#held++;
    this.queuedEntries++;
    this.queuedBytes += op.bytes;
    this.#queued++;
    this.#bytesHeld += op.bytes + OPERATION_OVERHEAD_BYTES;
  }

  #rememberDroppedSpan(id: string): void {
    // After close nothing new arrives that could depend on a dropped span.
    if (!this.closed) this.#droppedSpans.remember(id);
  }

  registerInstance(registration: InstanceRegistration, payload: string | undefined): void {
    this.#enqueued++;
    const seq = ++this.#seq;
    if (this.closed) return this.#refuse('after_shutdown');
    const instance = new InstanceState();
    this.#instances.set(registration.id, instance);
    const bytes = payload === undefined ? 0 : utf8(payload);
    if (payload === undefined || !this.#admit(bytes)) {
      instance.dropped = true;
      return this.#refuse(payload === undefined ? 'serialization' : 'queue_overflow');
    }
    const op = new Operation(REGISTER, seq, registration.id, registration.id, '');
    op.payload = payload;
    op.bytes = bytes;
    instance.head = op;
    this.#link(op, instance, true);
  }

  startInstance(instanceId: string, timestamp: string): void {
    this.#enqueued++;
    const seq = ++this.#seq;
    if (this.closed) return this.#refuse('after_shutdown');
    const instance = this.#instances.get(instanceId);
    if (instance?.dropped) return this.#refuse('dependency_dropped');
    if (!this.#admit(0)) return this.#refuse('queue_overflow');
    const op = new Operation(START, seq, instanceId, instanceId, timestamp);
    op.dep = instance?.head;
    if (instance !== undefined) instance.head = op;
    this.#link(op, instance, true);
  }

  finishInstance(instanceId: string, status: string, timestamp: string): void {
    this.#enqueued++;
    const seq = ++this.#seq;
    if (this.closed) return this.#refuse('after_shutdown');
    const instance = this.#instances.get(instanceId);
    // Nothing of the instance follows its finish: forget it (its operations keep their reference).
    this.#instances.delete(instanceId);
    if (instance?.dropped) return this.#refuse('dependency_dropped');
    if (!this.#admit(0, true)) return this.#refuse('queue_overflow');
    const op = new Operation(INSTANCE_FINISH, seq, instanceId, instanceId, timestamp);
    op.status = status;
    op.dep = instance?.head;
    this.#link(op, instance, false);
  }

  spanStarted(span: SpanStartEvent): void {
    this.#enqueued++;
    const seq = ++this.#seq;
    if (this.closed) return this.#refuse('after_shutdown');
    const instance = this.#instances.get(span.instanceId);
    const dep = span.parentId === undefined ? undefined : this.#spans.get(span.parentId);
    const parentDropped = span.parentId !== undefined && dep === undefined && this.#droppedSpans.has(span.parentId);
    if (instance?.dropped || parentDropped) {
      this.#rememberDroppedSpan(span.id);
      return this.#refuse('dependency_dropped');
    }
    const payload = span.payloadJson;
    if (typeof payload !== 'string') {
      this.#rememberDroppedSpan(span.id);
      return this.#refuse('serialization');
    }
    const bytes = utf8(payload);
    if (!this.#admit(bytes)) {
      this.#rememberDroppedSpan(span.id);
      return this.#refuse('queue_overflow');
    }
    const op = new Operation(CREATE, seq, span.id, span.instanceId, span.startedAt);
    op.parentId = span.parentId;
    op.remote = span.remote === true;
    op.schemaName = span.schemaName;
    op.payload = payload;
    op.bytes = bytes;
    op.dep = dep ?? instance?.head;
    this.#spans.set(span.id, op);
    this.#link(op, instance, true);
  }

  spanEnded(span: SpanEndEvent): void {
    this.#enqueued++;
    const seq = ++this.#seq;
    if (this.closed) return this.#refuse('after_shutdown');
    const create = this.#spans.get(span.id);
    if (create === undefined && this.#droppedSpans.has(span.id)) return this.#refuse('dependency_dropped');
    const result = span.resultPayloadJson;
    if (result !== undefined && typeof result !== 'string') return this.#refuse('serialization');
    const bytes = result === undefined ? 0 : utf8(result);
    if (create !== undefined && create.state === QUEUED && create.attempts === 0) {
      // Coalesce: never sent, so its idempotency key was never used with another body. No new
      // entry: only the result's bytes must fit.
      if (this.#bytesHeld + bytes > this.#maxQueueBytes + this.#reserveBytes) return this.#refuse('queue_overflow');
      create.status = span.status;
      create.finishedAt = span.finishedAt;
      create.result = result;
      create.bytes += bytes;
      create.weight = 2;
      this.queuedBytes += bytes;
      this.#bytesHeld += bytes;
      this.#queued++;
      this.#coalesced++;
      return;
    }
    if (!this.#admit(bytes, true)) return this.#refuse('queue_overflow');
    const op = new Operation(SPAN_FINISH, seq, span.id, span.instanceId, span.finishedAt);
    op.status = span.status;
    op.result = result;
    op.bytes = bytes;
    op.dep = create;
    this.#link(op, create?.instance ?? this.#instances.get(span.instanceId), true);
  }

  /**
   * Whether `op` may leave now in batch number `stamp`: its dependency is confirmed, or (when
   * `inBatch`) was taken earlier into the same batch; an instance finish also needs every other
   * operation of its instance confirmed or in this batch.
   */
  eligible(op: Operation, stamp: number, inBatch: boolean): boolean {
    const dep = op.dep;
    if (dep !== undefined && dep.state !== DONE && !(inBatch && dep.state === IN_FLIGHT && dep.stamp === stamp)) return false;
    if (op.kind === INSTANCE_FINISH && op.instance !== undefined) {
      const instance = op.instance;
      const inThisBatch = inBatch && instance.stamp === stamp ? instance.inBatch : 0;
      return instance.held - inThisBatch === 0;
    }
    return true;
  }

  /**
   * Gives `op` its idempotency key, once: every later attempt reuses it. Keys are this outbox's
   * random prefix (16 nanoid characters, 96 bits) and a counter: unique like a nanoid per
   * operation, without drawing random bytes for each.
   */
  giveKey(op: Operation): void {
    if (op.key === '') op.key = this.#keyPrefix + (++this.#keys).toString(36);
  }

  /** Marks `op` as taken into batch `stamp`. */
  take(op: Operation, stamp: number): void {
    op.state = IN_FLIGHT;
    op.stamp = stamp;
    this.giveKey(op);
    if (op.attempts > 0) this.#retried += op.weight;
    op.attempts++;
    this.queuedEntries--;
    this.queuedBytes -= op.bytes;
    this.#queued -= op.weight;
    this.#inFlight += op.weight;
    const instance = op.instance;
    if (instance !== undefined && op.kind !== INSTANCE_FINISH) {
      if (instance.stamp !== stamp) {
        instance.stamp = stamp;
        instance.inBatch = 0;
      }
      instance.inBatch++;
    }
  }

  /**
   * The API does not know the instance or parent of remote create `op` yet (its caller sends them
   * from another process): re-queues it to be sent after `delayMs`, or drops it
   * (`parent_not_found`) once `waitMs` have passed since the first such answer.
   */
  deferRemote(op: Operation, now: number, delayMs: number, waitMs: number): void {
    if (op.firstMissingAt === 0) op.firstMissingAt = now;
    if (now - op.firstMissingAt >= waitMs) return this.drop(op, 'parent_not_found');
    op.notBefore = now + delayMs;
    this.requeue(op);
  }

  /** Puts an in-flight operation back in the queue, at its place. */
  requeue(op: Operation): void {
    op.state = QUEUED;
    this.queuedEntries++;
    this.queuedBytes += op.bytes;
    this.#inFlight -= op.weight;
    this.#queued += op.weight;
  }

  #unlink(op: Operation): void {
    if (op.prev === undefined) this.#head = op.next;
    else op.prev.next = op.next;
    if (op.next === undefined) this.#tail = op.prev;
    else op.next.prev = op.prev;
    op.prev = undefined;
    op.next = undefined;
    this.#held--;
    this.#bytesHeld -= op.bytes + OPERATION_OVERHEAD_BYTES;
    if (op.state === QUEUED) {
      this.queuedEntries--;
      this.queuedBytes -= op.bytes;
      this.#queued -= op.weight;
    } else this.#inFlight -= op.weight;
    if (op.instance !== undefined && op.kind !== INSTANCE_FINISH) op.instance.held--;
    if (op.kind === CREATE && this.#spans.get(op.id) === op) this.#spans.delete(op.id);
  }

  /** The API confirmed `op` (an in-flight operation). */
  confirm(op: Operation): void {
    /* c8 ignore next: a response that lands after shutdown dropped what it answers */
    if (op.state !== IN_FLIGHT) return;
    this.#unlink(op);
    op.state = DONE;
    this.#sent += op.weight;
    if (op.instance?.head === op) op.instance.head = undefined;
    op.release();
    op.instance = undefined;
  }

  /** Gives `op` up; its queued dependants follow at the next `cascade()`. */
  drop(op: Operation, reason: DropReason): void {
    this.#unlink(op);
    op.state = DROPPED;
    this.#drops.drop(reason, op.weight);
    if (op.kind === CREATE) this.#rememberDroppedSpan(op.id);
    if ((op.kind === REGISTER || op.kind === START) && op.instance !== undefined) op.instance.dropped = true;
    op.release();
    op.instance = undefined;
    this.#needsCascade = true;
  }

  /** Drops every queued operation whose dependency was dropped (one pass: dependencies point back). */
  cascade(): void {
    if (!this.#needsCascade) return;
    this.#needsCascade = false;
    for (let op = this.#head; op !== undefined; ) {
      const next = op.next;
      if (op.state === QUEUED && op.dep?.state === DROPPED) this.drop(op, 'dependency_dropped');
      op = next;
    }
  }

  /**
   * Drops everything held (shutdown deadline), in one O(n) pass of a few field writes per operation
   * and one count: it runs at the deadline, so its cost is part of the time `shutdown()` allows.
   * Dropped ids are not remembered (nothing arrives after close).
   */
  dropAll(reason: DropReason): void {
    let weight = 0;
    for (let op = this.#head; op !== undefined; ) {
      const next = op.next;
      weight += op.weight;
      // DROPPED: a response still on its way finds nothing to resolve.
      op.state = DROPPED;
      op.prev = op.next = op.instance = undefined;
      op.release();
      op = next;
    }
    this.#head = this.#tail = undefined;
    this.#held = this.queuedEntries = this.queuedBytes = 0;
    this.#spans.clear();
    this.#instances.clear();
    this.#needsCascade = false;
    this.#queued = this.#inFlight = this.#bytesHeld = 0;
    if (weight > 0) this.#drops.drop(reason, weight);
  }
}
