/**
 * Sampling: whether an agent instance is recorded, decided once when it starts, and the hold that
 * keeps an unsampled instance's events (with `sampleErrors`) until one of its spans fails.
 */
import type { FinishStatus } from '../models/index.js';
import type { InstanceRegistration, SpanEndEvent, SpanSink, SpanStartEvent } from '../sinks/span-sink.js';
import { isPrefactorId } from '../util/ids.js';
import type { InstanceMode } from './instance.js';

/** What `sampler` is asked about: the instance about to start. */
export interface SamplingInfo {
  /** The instance's id. */
  readonly instanceId: string;
  /** Its `purpose` (`withInstance({purpose})`), `undefined` for none and for the default instance. */
  readonly purpose: string | undefined;
}

/** Decides whether an instance is recorded. */
export type Sampler = (info: SamplingInfo) => boolean;

/**
 * Most events (register, start, span creates and ends) held for one unsampled instance with
 * `sampleErrors`. Beyond it the held events are let go and the instance stays unsent.
 */
export const MAX_HELD_EVENTS = 1000;

/** The mode of an instance that records nothing (sampled out). */
export const SAMPLED_OUT: InstanceMode = { recordsNothing: true, remote: false, sink: undefined };

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const TWO_POW_30 = 2 ** 30;

/**
 * A number in [0, 1) that depends only on the instance id: 30 of its random bits for a Prefactor
 * id, else an FNV-1a hash of the id. The same id gets the same answer in every process.
 */
export function sampleKey(instanceId: string): number {
  let value = 0;
  if (isPrefactorId(instanceId)) {
    for (let index = 26; index < 32; index++) value = value * 32 + ALPHABET.indexOf(instanceId[index]!);
    return value / TWO_POW_30;
  }
  const text: string = instanceId;
  value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) value = Math.imul(value ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return value / 2 ** 32;
}

/** Whether an instance with this id is in the `sampleRate` share (1: all, 0: none). */
export function inSampleRate(instanceId: string, sampleRate: number): boolean {
  return sampleRate >= 1 || (sampleRate > 0 && sampleKey(instanceId) < sampleRate);
}

type Held =
  | readonly ['register', InstanceRegistration]
  | readonly ['start', string, string]
  | readonly ['spanStarted', SpanStartEvent]
  | readonly ['spanEnded', SpanEndEvent];

const HOLDING = 0;
const KEPT = 1;
const LET_GO = 2;

/** What a hold reports to the tracer. */
export interface HoldOwner {
  /** One of its spans failed: the held events were sent and the rest follow as they come. */
  kept(): void;
  /** It held `MAX_HELD_EVENTS` events before any span failed: they were let go. */
  overflowed(instanceId: string): void;
}

/**
 * The sink of an unsampled instance with `sampleErrors`: holds the instance's events (at most
 * `MAX_HELD_EVENTS`) until one of its spans ends `failed` or the instance finishes `failed`, then
 * hands them to the tracer's sink in order and forwards the rest; lets them go when the instance
 * finishes otherwise.
 */
export class InstanceHold implements SpanSink {
  readonly #sink: SpanSink;
  readonly #owner: HoldOwner;
  readonly #instanceId: string;
  #events: Held[] = [];
  #state = HOLDING;

  constructor(sink: SpanSink, owner: HoldOwner, instanceId: string) {
    this.#sink = sink;
    this.#owner = owner;
    this.#instanceId = instanceId;
  }

  /** The mode of an instance held by this hold. */
  get mode(): InstanceMode {
    return { recordsNothing: false, remote: false, sink: this };
  }

  registerInstance(instance: InstanceRegistration): void {
    this.#add(['register', instance]);
  }

  startInstance(instanceId: string, timestamp: string): void {
    this.#add(['start', instanceId, timestamp]);
  }

  spanStarted(span: SpanStartEvent): void {
    this.#add(['spanStarted', span]);
  }

  spanEnded(span: SpanEndEvent): void {
    this.#add(['spanEnded', span]);
    if (span.status === 'failed') this.#keep();
  }

  finishInstance(instanceId: string, status: FinishStatus, timestamp: string): void {
    if (status === 'failed') this.#keep();
    if (this.#state === KEPT) this.#sink.finishInstance(instanceId, status, timestamp);
    // Finished and not kept: nothing of it is ever sent.
    this.#events = [];
  }

  #add(event: Held): void {
    if (this.#state === KEPT) return replay(this.#sink, event);
    if (this.#state === LET_GO) return;
    if (this.#events.length >= MAX_HELD_EVENTS) {
      this.#state = LET_GO;
      this.#events = [];
      this.#owner.overflowed(this.#instanceId);
      return;
    }
    this.#events.push(event);
  }

  #keep(): void {
    if (this.#state !== HOLDING) return;
    this.#state = KEPT;
    const events = this.#events;
    this.#events = [];
    this.#owner.kept();
    for (const event of events) replay(this.#sink, event);
  }

  /* c8 ignore start: a hold is never the tracer's own sink; these complete the interface */
  flush(timeoutMs: number): Promise<boolean> {
    return this.#sink.flush(timeoutMs);
  }

  shutdown(timeoutMs: number): Promise<boolean> {
    return this.#sink.shutdown(timeoutMs);
  }
  /* c8 ignore stop */
}

function replay(sink: SpanSink, event: Held): void {
  switch (event[0]) {
    case 'register':
      return sink.registerInstance(event[1]);
    case 'start':
      return sink.startInstance(event[1], event[2]);
    case 'spanStarted':
      return sink.spanStarted(event[1]);
    default:
      return sink.spanEnded(event[1]);
  }
}
