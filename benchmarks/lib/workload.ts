import { z } from 'zod';
import { defineSpanType, Tracer } from '../../src/index.js';
import { generateId } from '../../src/util/ids.js';

/** The payload every benchmark span carries: `{i, text: 'x'.repeat(100)}` (about 120 bytes of JSON). */
export const benchStep = defineSpanType({
  name: 'bench:step',
  title: 'Benchmark step',
  params: z.object({ i: z.number(), text: z.string() }),
});

/** The span type of the large-payload benchmark. */
export const benchBlob = defineSpanType({
  name: 'bench:blob',
  title: 'Benchmark span with a large payload',
  params: z.object({ i: z.number(), text: z.string() }),
});

export const BENCH_AGENT_ID = generateId();

type TracerOptions = ConstructorParameters<typeof Tracer>[0];

/** A tracer sending to `apiUrl`, silent, with the benchmark span types; `extra` adds or overrides options. */
export function benchTracer(apiUrl: string, apiToken: string, extra: Partial<NonNullable<TracerOptions>> = {}): Tracer {
  return new Tracer({
    apiUrl,
    apiToken,
    agentId: BENCH_AGENT_ID,
    agentVersion: { name: 'benchmarks', external_identifier: 'bench-1' },
    spanTypes: [benchStep, benchBlob],
    logger: false,
    ...extra,
  });
}

/**
 * A fresh flat string of `length` copies of `char`. (`'x'.repeat(n)` builds a rope that
 * `JSON.stringify` must flatten first: for large payloads that would charge the benchmark's own
 * string building to the SDK's snapshot.)
 */
export function flatText(length: number, char = 'x'): string {
  return Buffer.alloc(length, char).toString('latin1');
}

/** Lets the event loop turn once (timers, I/O, the delivery worker). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A trivial async function: the "work" each span wraps. */
export async function work(): Promise<number> {
  return 1;
}

/** A trivial sync function. */
export function workSync(): number {
  return 1;
}

/**
 * `roots` top-level spans, each with 2 nested children wrapping `work`, through `tracer.withSpan`.
 * With `yieldEvery`, lets the event loop turn after every that many roots.
 */
export async function tracedAsyncTree(tracer: Tracer, start: number, roots: number, yieldEvery = 0): Promise<number> {
  let sum = 0;
  for (let i = start; i < start + roots; i++) {
    sum += await tracer.withSpan(benchStep, { i, text: 'x'.repeat(100) }, async () => {
      const a = await tracer.withSpan(benchStep, { i, text: 'x'.repeat(100) }, work);
      const b = await tracer.withSpan(benchStep, { i, text: 'x'.repeat(100) }, work);
      return a + b;
    });
    if (yieldEvery > 0 && (i + 1) % yieldEvery === 0) await yieldToLoop();
  }
  return sum;
}
