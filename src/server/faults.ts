import { assertOptionsObject, check, invalidOption, rejectUnknownKeys } from '../util/option-checks.js';

/**
 * Fault injection for the local server: deterministic from a seed, so a test that sends the same
 * requests in the same order sees the same faults. Each request draws one number from a seeded PRNG
 * (mulberry32) and the rates below split [0, 1) into the fault kinds, in the order
 * drop, error, rateLimit, stall, malformed: the rates may not sum to more than 1.
 */
export interface FaultOptions {
  /** Fraction of requests whose connection is destroyed before anything is applied or answered. @default 0 */
  readonly dropRate?: number;
  /** Fraction of requests answered with a 5xx status (one of `errorStatusCodes`); nothing is applied. @default 0 */
  readonly errorRate?: number;
  /** The statuses `errorRate` answers with, picked by the seeded PRNG. @default [500, 502, 503] */
  readonly errorStatusCodes?: readonly number[];
  /** Fraction of requests answered 429 with a `Retry-After` header; nothing is applied. @default 0 */
  readonly rateLimitRate?: number;
  /** The `Retry-After` of a 429, in seconds. @default 1 */
  readonly retryAfterSeconds?: number;
  /**
   * Fraction of requests that ARE applied but never answered: the socket stays open until the client
   * gives up or the server closes. @default 0
   */
  readonly stallRate?: number;
  /** Fraction of requests that are applied and answered 200 with a truncated (malformed) JSON body. @default 0 */
  readonly malformedRate?: number;
  /** Latency added to every request before it is handled, in milliseconds. @default 0 */
  readonly latencyMs?: number;
  /**
   * An outage of this many milliseconds from when the faults are set: new connections are destroyed
   * as soon as they are accepted and requests on open connections are destroyed unanswered.
   * @default 0 (no outage)
   */
  readonly outageMs?: number;
  /** An outage until this time (epoch milliseconds or a `Date`), as `outageMs`. @default undefined */
  readonly outageUntil?: number | Date;
  /** Stop injecting faults (latency and outages excepted) after this many. @default Infinity */
  readonly maxFaults?: number;
}

/** What a fault did to one request. */
export type FaultKind = 'drop' | 'error' | 'rateLimit' | 'stall' | 'malformed' | 'outage';

/** How many times each fault was applied; `latency` counts delayed requests. */
export interface FaultCounts {
  drop: number;
  error: number;
  rateLimit: number;
  stall: number;
  malformed: number;
  outage: number;
  latency: number;
}

const FAULT_KEYS = [
  'dropRate',
  'errorRate',
  'errorStatusCodes',
  'rateLimitRate',
  'retryAfterSeconds',
  'stallRate',
  'malformedRate',
  'latencyMs',
  'outageMs',
  'outageUntil',
  'maxFaults',
] as const;

/** The drawn kinds, in the order their rates split [0, 1). */
const DRAWN = [
  ['drop', 'dropRate'],
  ['error', 'errorRate'],
  ['rateLimit', 'rateLimitRate'],
  ['stall', 'stallRate'],
  ['malformed', 'malformedRate'],
] as const;

interface ResolvedFaults {
  rates: Record<(typeof DRAWN)[number][0], number>;
  errorStatusCodes: readonly number[];
  retryAfterSeconds: number;
  latencyMs: number;
  outageUntil: number;
  maxFaults: number;
}

/** The seeded PRNG: mulberry32, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function fraction(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) invalidOption(name, 'a number from 0 to 1', value);
  return value;
}

/** Validates fault options (throws `PrefactorConfigError`) and resolves them against `now`. */
export function resolveFaults(faults: FaultOptions | undefined, now: number = Date.now()): ResolvedFaults {
  assertOptionsObject('fault', faults);
  const options: FaultOptions = faults ?? {};
  rejectUnknownKeys('the local server faults', options, FAULT_KEYS);
  const rates = {} as ResolvedFaults['rates'];
  let sum = 0;
  for (const [kind, key] of DRAWN) {
    rates[kind] = options[key] === undefined ? 0 : fraction(`faults.${key}`, options[key]);
    sum += rates[kind];
  }
  if (sum > 1 + 1e-9) invalidOption('the sum of the fault rates', 'at most 1', sum);
  const codes = options.errorStatusCodes ?? [500, 502, 503];
  if (!Array.isArray(codes) || codes.length === 0 || !codes.every((c) => Number.isInteger(c) && c >= 400 && c <= 599)) {
    invalidOption('faults.errorStatusCodes', 'a non-empty array of HTTP error statuses', codes);
  }
  let outageUntil = 0;
  if (options.outageMs !== undefined) outageUntil = now + check.nonNegativeNumber('faults.outageMs', options.outageMs);
  if (options.outageUntil !== undefined) {
    const until = options.outageUntil instanceof Date ? options.outageUntil.getTime() : options.outageUntil;
    outageUntil = Math.max(outageUntil, check.nonNegativeNumber('faults.outageUntil', until));
  }
  return {
    rates,
    errorStatusCodes: codes,
    retryAfterSeconds:
      options.retryAfterSeconds === undefined ? 1 : check.nonNegativeNumber('faults.retryAfterSeconds', options.retryAfterSeconds),
    latencyMs: options.latencyMs === undefined ? 0 : check.nonNegativeNumber('faults.latencyMs', options.latencyMs),
    outageUntil,
    maxFaults:
      options.maxFaults === undefined ? Number.POSITIVE_INFINITY : check.nonNegativeInteger('faults.maxFaults', options.maxFaults),
  };
}

/** One request's fate: the fault drawn (if any) and the latency to add. */
export interface FaultDecision {
  kind: Exclude<FaultKind, 'outage'> | null;
  latencyMs: number;
  /** For `error`: the status to answer. */
  statusCode: number;
  /** For `rateLimit`: the `Retry-After` value in seconds. */
  retryAfterSeconds: number;
}

/** Draws faults from a seeded PRNG and counts what it applied. */
export class FaultInjector {
  #random: () => number;
  #faults: ResolvedFaults;
  #applied = 0;
  #counts: FaultCounts = { drop: 0, error: 0, rateLimit: 0, stall: 0, malformed: 0, outage: 0, latency: 0 };

  constructor(faults: FaultOptions | undefined, seed: number) {
    this.#random = mulberry32(seed);
    this.#faults = resolveFaults(faults);
  }

  /** Replaces the fault options (the PRNG stream and the counts carry on). */
  set(faults: FaultOptions | undefined): void {
    this.#faults = resolveFaults(faults);
    this.#applied = 0;
  }

  /** Whether an outage is under way now; counts the refusal when it is. */
  refuse(): boolean {
    if (Date.now() >= this.#faults.outageUntil) return false;
    this.#counts.outage++;
    return true;
  }

  /** Draws the fault of the next request. */
  decide(): FaultDecision {
    const faults = this.#faults;
    const draw = this.#random();
    let kind: FaultDecision['kind'] = null;
    if (this.#applied < faults.maxFaults) {
      let upper = 0;
      for (const [name] of DRAWN) {
        upper += faults.rates[name];
        if (draw < upper) {
          kind = name;
          break;
        }
      }
    }
    let statusCode = 0;
    if (kind !== null) {
      this.#applied++;
      this.#counts[kind]++;
      if (kind === 'error') {
        statusCode = faults.errorStatusCodes[Math.floor(this.#random() * faults.errorStatusCodes.length)]!;
      }
    }
    if (faults.latencyMs > 0) this.#counts.latency++;
    return { kind, latencyMs: faults.latencyMs, statusCode, retryAfterSeconds: faults.retryAfterSeconds };
  }

  /** A copy of the counts. */
  counts(): FaultCounts {
    return { ...this.#counts };
  }
}
