import { nanoid } from 'nanoid';
import type { DropReason, InstanceRegistration, SpanEndEvent, SpanStartEvent } from '../sinks/span-sink.js';
import { CREATE, DONE, DROPPED, IN_FLIGHT, INSTANCE_FINISH, InstanceState, OperationTable, QUEUED, REGISTER, SPAN_FINISH, START } from './operations.js';
import type { Operation } from './operations.js';
import { DroppedSpans } from './dropped-spans.js';
import { fingerprint, fingerprintHigh, fingerprintLow } from './fingerprint.js';
import { SpanIndex } from './span-index.js';
import type { DropLog } from './stats.js';

/**
 * What one held operation costs beyond its payload's bytes, counted against `maxQueueBytes`: its
 * slot in the operation table's columns (129 bytes), its ids and timestamps in the text arena
 * (about 120 bytes for a span's create) and its entry in the span index, all outside the V8 heap.
 * Measured (`--expose-gc`, 60,000 and 99,000 held creates carrying their finishes, Node 20 and 24):
 * 320-355 bytes beyond the payload, heap and external memory together; up to about 450 just after
 * the columns double. 512 also covers the allocator's slack: in the outage benchmark the RSS grows
 * by 36 MB (Node 24) and 46 MB (Node 20) for 32 MiB counted (README, Benchmarks).
 */
export const OPERATION_OVERHEAD_BYTES = 512;

/** What a text costs on the wire: its UTF-8 bytes. */
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
 *
 * Operations live in an `OperationTable` (typed-array columns, texts in Buffers): a confirmed
 * operation's slot is reused at once (a dependant then finds its dependency's slot changed: done);
 * a dropped one's only after the next `cascade()`, so that its dependants see it dropped.
 */
export class Outbox {
  readonly table = new OperationTable(nanoid(16));
  #head: Operation = -1;
  #tail: Operation = -1;
  #seq = 0;
  /** Linked operations (queued and in flight): what `maxQueueSize` bounds. */
  #held = 0;
  /** Linked operations waiting (not in flight). */
  queuedEntries = 0;
  /** Payload bytes of the operations waiting (not in flight): a full batch by bytes leaves at once. */
  queuedBytes = 0;
  /** Creates not yet confirmed, by span id: for coalescing and for their dependants. */
  readonly #spans = new SpanIndex();
  readonly #instances = new Map<string, InstanceState>();
  readonly #droppedSpans = new DroppedSpans(DROPPED_SPANS_KEPT);
  /** Slots of dropped operations, freed after the next cascade. */
  #droppedSlots: Operation[] = [];
  #needsCascade = false;
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
    return this.#head < 0 ? Number.POSITIVE_INFINITY : this.table.seq[this.#head]!;
  }

  /** The oldest operation held (-1: none); the next ones follow `table.next`. */
  get head(): Operation {
    return this.#head;
  }

  /** Operations in a request now (weighted). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Operations held (queued or in flight), and the spans they are about. O(n): for the exit report. */
  held(): { operations: number; spans: number } {
    const table = this.table;
    const spans = new Set<string>();
    let operations = 0;
    for (let op = this.#head; op >= 0; op = table.next[op]!) {
      operations += table.weight[op]!;
      const kind = table.kind[op];
      if (kind === CREATE || kind === SPAN_FINISH) spans.add(table.id(op));
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
      bytesHeld: this.#heldBytes(),
    };
  }

  /** Counts an operation that did not get in. */
  #refuse(reason: DropReason): void {
    this.#drops.drop(reason, 1);
  }

  /**
   * Whether a new operation with `bytes` of payload fits (`maxQueueSize`, and `maxQueueBytes` with
   * its overhead and the arena's dead bytes). A finish (`ending`) may also use a reserve of a tenth
   * beyond both bounds: what was started can still end during an outage, so no span or instance
   * stays `active` for ever.
   */
  #admit(bytes: number, ending = false): boolean {
    const size = ending ? this.#maxQueueSize + this.#reserveSize : this.#maxQueueSize;
    const total = ending ? this.#maxQueueBytes + this.#reserveBytes : this.#maxQueueBytes;
    return this.#held < size && this.#heldBytes() + bytes + OPERATION_OVERHEAD_BYTES <= total;
  }

  /**
   * The memory held, as counted against `maxQueueBytes`: each operation's bytes and overhead, and
   * the text arena's dead bytes (released texts in chunks that a text held longer keeps alive).
   */
  #heldBytes(): number {
    return this.#bytesHeld + this.table.arena.deadBytes;
  }

  #link(op: Operation, bytes: number, instance: InstanceState | undefined, countsForInstance: boolean): void {
    const table = this.table;
    table.bytes[op] = bytes;
    table.instance[op] = instance;
    if (instance !== undefined && countsForInstance) instance.held++;
    table.prev[op] = this.#tail;
    table.next[op] = -1;
    if (this.#tail < 0) this.#head = op;
    else table.next[this.#tail] = op;
    this.#tail = op;
    this.#held++;
    this.queuedEntries++;
    this.queuedBytes += bytes;
    this.#queued++;
    this.#bytesHeld += bytes + OPERATION_OVERHEAD_BYTES;
  }

  #rememberDroppedSpan(id: string): void {
    // After close nothing new arrives that could depend on a dropped span.
    if (!this.closed) this.#droppedSpans.remember(id);
  }

  /** The held create of span `id`, or -1. */
  #create(id: string): Operation {
    if (this.#spans.size === 0) return -1;
    fingerprint(id);
    return this.#spans.get(fingerprintHigh, fingerprintLow);
  }

  /** Makes `instance`'s register or start (when still held) the dependency of `op`. */
  #dependOnInstance(op: Operation, instance: InstanceState | undefined): void {
    if (instance !== undefined && instance.head >= 0 && this.table.seq[instance.head] === instance.headSeq) this.table.setDep(op, instance.head);
  }

  #setHead(instance: InstanceState | undefined, op: Operation): void {
    if (instance !== undefined) {
      instance.head = op;
      instance.headSeq = this.table.seq[op]!;
    }
  }

  registerInstance(registration: InstanceRegistration, payload: string | undefined): void {
    this.#enqueued++;
    const seq = ++this.#seq;
    if (this.closed) return this.#refuse('after_shutdown');
    const instance = new InstanceState(registration.id);
    this.#instances.set(registration.id, instance);
    const bytes = payload === undefined ? 0 : utf8(payload);
    if (payload === undefined || !this.#admit(bytes)) {
      instance.dropped = true;
      return this.#refuse(payload === undefined ? 'serialization' : 'queue_overflow');
    }
    const op = this.table.add(REGISTER, seq, registration.id, '', undefined, '', '', payload);
    this.#setHead(instance, op);
    this.#link(op, bytes, instance, true);
  }

  startInstance(instanceId: string, timestamp: string): void {
    this.#enqueued++;
    const seq = ++this.#seq;
    if (this.closed) return this.#refuse('after_shutdown');
    const instance = this.#instances.get(instanceId);
    if (instance?.dropped) return this.#refuse('dependency_dropped');
    if (!this.#admit(0)) return this.#refuse('queue_overflow');
    const op = this.table.add(START, seq, instanceId, '', undefined, '', timestamp, '');
    this.#dependOnInstance(op, instance);
    this.#setHead(instance, op);
    this.#link(op, 0, instance, true);
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
    const op = this.table.add(INSTANCE_FINISH, seq, instanceId, '', undefined, '', timestamp, '');
    this.table.setStatus(op, status);
    this.#dependOnInstance(op, instance);
    this.#link(op, 0, instance, false);
  }

  spanStarted(span: SpanStartEvent): void {
    this.#enqueued++;
    const seq = ++this.#seq;
    if (this.closed) return this.#refuse('after_shutdown');
    const instance = this.#instances.get(span.instanceId);
    const dep = span.parentId === undefined ? -1 : this.#create(span.parentId);
    const parentDropped = span.parentId !== undefined && dep < 0 && this.#droppedSpans.has(span.parentId);
    if (instance?.dropped || parentDropped) {
      this.#rememberDroppedSpan(span.id);
      return this.#refuse('dependency_dropped');
    }
    const payload = span.payloadJson;
    if (typeof payload !== 'string') {
      this.#rememberDroppedSpan(span.id);
      return this.#refuse('serialization');
    }
    const table = this.table;
    // Written first: the table tells the payload's UTF-8 bytes (one pass over it instead of two).
    // The instance's id is written once, in its state, not with each of its spans.
    const op = table.add(CREATE, seq, span.id, instance === undefined ? span.instanceId : '', span.parentId, span.schemaName, span.startedAt, payload);
    const bytes = table.bodyBytes(op);
    if (!this.#admit(bytes)) {
      table.free(op);
      this.#rememberDroppedSpan(span.id);
      return this.#refuse('queue_overflow');
    }
    if (instance !== undefined) table.useInstanceText(op);
    if (span.remote === true) table.setRemote(op);
    if (dep >= 0) table.setDep(op, dep);
    else this.#dependOnInstance(op, instance);
    fingerprint(span.id);
    table.spanHigh[op] = fingerprintHigh;
    table.spanLow[op] = fingerprintLow;
    this.#spans.set(fingerprintHigh, fingerprintLow, op);
    this.#link(op, bytes, instance, true);
  }

  spanEnded(span: SpanEndEvent): void {
    this.#enqueued++;
    const seq = ++this.#seq;
    if (this.closed) return this.#refuse('after_shutdown');
    const create = this.#create(span.id);
    if (create < 0 && this.#droppedSpans.has(span.id)) return this.#refuse('dependency_dropped');
    const result = span.resultPayloadJson;
    if (result !== undefined && typeof result !== 'string') return this.#refuse('serialization');
    const bytes = result === undefined ? 0 : utf8(result);
    const table = this.table;
    if (create >= 0 && table.state[create] === QUEUED && table.attempts[create] === 0) {
      // Coalesce: never sent, so its idempotency key was never used with another body. No new
      // entry: only the result's bytes must fit.
      if (this.#heldBytes() + bytes > this.#maxQueueBytes + this.#reserveBytes) return this.#refuse('queue_overflow');
      table.finish(create, span.status, span.finishedAt, result);
      table.bytes[create]! += bytes;
      table.weight[create] = 2;
      this.queuedBytes += bytes;
      this.#bytesHeld += bytes;
      this.#queued++;
      this.#coalesced++;
      return;
    }
    if (!this.#admit(bytes, true)) return this.#refuse('queue_overflow');
    const instance = create < 0 ? this.#instances.get(span.instanceId) : table.instance[create];
    const ownId = instance !== undefined && instance.id === span.instanceId;
    const op = table.add(SPAN_FINISH, seq, span.id, ownId ? '' : span.instanceId, undefined, '', span.finishedAt, result ?? '');
    if (ownId) table.useInstanceText(op);
    table.setStatus(op, span.status);
    if (result !== undefined) table.setHasResult(op);
    if (create >= 0) table.setDep(op, create);
    this.#link(op, bytes, instance, true);
  }

  /**
   * Whether `op` may leave now in batch number `stamp`: its dependency is confirmed, or (when
   * `inBatch`) was taken earlier into the same batch; an instance finish also needs every other
   * operation of its instance confirmed or in this batch.
   */
  eligible(op: Operation, stamp: number, inBatch: boolean): boolean {
    const table = this.table;
    const depState = table.depState(op);
    if (depState !== DONE && !(inBatch && depState === IN_FLIGHT && table.stamp[table.dep[op]!] === stamp)) return false;
    const instance = table.instance[op];
    if (table.kind[op] === INSTANCE_FINISH && instance !== undefined) {
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
    if (this.table.keyNumber[op] === 0) this.table.keyNumber[op] = ++this.#keys;
  }

  /** Marks `op` as taken into batch `stamp`. */
  take(op: Operation, stamp: number): void {
    const table = this.table;
    table.state[op] = IN_FLIGHT;
    table.stamp[op] = stamp;
    this.giveKey(op);
    const weight = table.weight[op]!;
    if (table.attempts[op]! > 0) this.#retried += weight;
    table.attempts[op]!++;
    this.queuedEntries--;
    this.queuedBytes -= table.bytes[op]!;
    this.#queued -= weight;
    this.#inFlight += weight;
    const instance = table.instance[op];
    if (instance !== undefined && table.kind[op] !== INSTANCE_FINISH) {
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
    const table = this.table;
    if (table.firstMissingAt[op] === 0) table.firstMissingAt[op] = now;
    if (now - table.firstMissingAt[op]! >= waitMs) return this.drop(op, 'parent_not_found');
    table.notBefore[op] = now + delayMs;
    this.requeue(op);
  }

  /** Puts an in-flight operation back in the queue, at its place. */
  requeue(op: Operation): void {
    const table = this.table;
    table.state[op] = QUEUED;
    this.queuedEntries++;
    this.queuedBytes += table.bytes[op]!;
    this.#inFlight -= table.weight[op]!;
    this.#queued += table.weight[op]!;
  }

  #unlink(op: Operation): void {
    const table = this.table;
    const prev = table.prev[op]!;
    const next = table.next[op]!;
    if (prev < 0) this.#head = next;
    else table.next[prev] = next;
    if (next < 0) this.#tail = prev;
    else table.prev[next] = prev;
    this.#held--;
    const bytes = table.bytes[op]!;
    const weight = table.weight[op]!;
    this.#bytesHeld -= bytes + OPERATION_OVERHEAD_BYTES;
    if (table.state[op] === QUEUED) {
      this.queuedEntries--;
      this.queuedBytes -= bytes;
      this.#queued -= weight;
    } else this.#inFlight -= weight;
    const instance = table.instance[op];
    const kind = table.kind[op];
    if (instance !== undefined && kind !== INSTANCE_FINISH) instance.held--;
    if (kind === CREATE) this.#spans.delete(table.spanHigh[op]!, table.spanLow[op]!, op);
  }

  /** The API confirmed `op` (an in-flight operation). */
  confirm(op: Operation): void {
    const table = this.table;
    /* c8 ignore next: a response that lands after shutdown dropped what it answers */
    if (table.state[op] !== IN_FLIGHT) return;
    this.#unlink(op);
    this.#sent += table.weight[op]!;
    const instance = table.instance[op];
    if (instance !== undefined && instance.head === op) instance.head = -1;
    table.free(op);
  }

  /** Gives `op` up; its queued dependants follow at the next `cascade()`. */
  drop(op: Operation, reason: DropReason): void {
    const table = this.table;
    const kind = table.kind[op];
    // After close nothing new arrives that could depend on a dropped span.
    if (kind === CREATE && !this.closed) this.#droppedSpans.rememberFingerprint(table.spanHigh[op]!, table.spanLow[op]!);
    this.#unlink(op);
    table.state[op] = DROPPED;
    this.#drops.drop(reason, table.weight[op]!);
    const instance = table.instance[op];
    if ((kind === REGISTER || kind === START) && instance !== undefined) instance.dropped = true;
    // Freed after the cascade: until then its dependants see it dropped.
    this.#droppedSlots.push(op);
    this.#needsCascade = true;
  }

  /** Drops every queued operation whose dependency was dropped (one pass: dependencies point back). */
  cascade(): void {
    if (!this.#needsCascade) return;
    this.#needsCascade = false;
    const table = this.table;
    for (let op = this.#head; op >= 0; ) {
      const next = table.next[op]!;
      if (table.state[op] === QUEUED && table.depState(op) === DROPPED) this.drop(op, 'dependency_dropped');
      op = next;
    }
    this.#needsCascade = false;
    for (const op of this.#droppedSlots) table.free(op);
    this.#droppedSlots = [];
  }

  /**
   * Drops everything held (shutdown deadline), in one O(n) pass over the list and one count: it
   * runs at the deadline, so its cost is part of the time `shutdown()` allows. Dropped ids are not
   * remembered (nothing arrives after close).
   */
  dropAll(reason: DropReason): void {
    const table = this.table;
    let weight = 0;
    for (let op = this.#head; op >= 0; op = table.next[op]!) weight += table.weight[op]!;
    // Every slot freed: a response still on its way finds nothing in flight to resolve.
    table.clear();
    this.#head = this.#tail = -1;
    this.#held = this.queuedEntries = this.queuedBytes = 0;
    this.#spans.clear();
    this.#instances.clear();
    this.#droppedSlots = [];
    this.#needsCascade = false;
    this.#queued = this.#inFlight = this.#bytesHeld = 0;
    if (weight > 0) this.#drops.drop(reason, weight);
  }
}
