/**
 * What a span payload of an awkward shape costs the traced code: the time `withSpan` takes
 * (payload snapshot included) on each shape of issue #14, against the same call with the tracer
 * disabled, and the size of the JSON sent. Each shape runs in its own child process with a 64 MB
 * heap: a shape that crashed the host (out of memory, stack overflow) would show as FAILED.
 *
 * The payload is built, then the heap collected once (`--expose-gc`), before the first timed call:
 * otherwise the first collection of the payload the benchmark itself allocated (a million numbers
 * or keys, in the young generation) lands in whichever call allocates next, the SDK's. A
 * program pays for that collection whoever triggers it; the benchmark does not charge it to the SDK.
 * Not collected between calls: with a 1M-key object (90 MB of heap) live, every other 8 MB key
 * list (`Object.keys`, which the floor and the serialiser both make) sets off a full collection of
 * 200-400 ms, charged to whichever of the two calls comes next (both columns are medians of calls
 * interleaved for that reason); forcing a collection before each call instead makes the next
 * allocations page memory in again, which costs more than the calls on a loaded machine.
 *
 * Run: node --import tsx benchmarks/payload-shapes.ts          (every shape)
 *      node --import tsx benchmarks/payload-shapes.ts shared   (one shape, prints a RESULT line)
 */
import { fileURLToPath } from 'node:url';
import { Tracer } from '../src/index.js';
import type { SpanSink, SpanStartEvent } from '../src/sinks/span-sink.js';
import { printResult, runChildForResult } from './lib/child.js';
import { formatNumber, median, printHeader, printNotes, printTable } from './lib/machine.js';
import { flatText } from './lib/workload.js';

const CALLS = Number(process.env.BENCH_PAYLOAD_CALLS ?? 7);
const HEAP_MB = 64;
/** Building a 1M-key object takes about 100 MB of the benchmark's own heap. */
const HEAP_MB_FOR: Record<string, number> = { keys1m: 256 };

type Make = () => unknown;

/** A sink that keeps the last payload's JSON text and nothing else: what is timed is the tracer. */
class LastPayloadSink implements SpanSink {
  lastPayloadJson = '';
  lastStatus = 'none';
  registerInstance(): void {}
  startInstance(): void {}
  finishInstance(): void {}
  spanStarted(span: SpanStartEvent): void {
    this.lastPayloadJson = span.payloadJson;
    this.lastStatus = 'active';
  }
  spanEnded(span: { status: string }): void {
    this.lastStatus = span.status;
  }
  async flush(): Promise<boolean> {
    return true;
  }
  async shutdown(): Promise<boolean> {
    return true;
  }
}

/** The shapes: a description and a function building a fresh payload. */
const SHAPES: Record<string, { readonly label: string; readonly make: Make }> = {
  small: { label: "{i, text: 'x'.repeat(100)} (the hot path's payload)", make: () => ({ i: 1, text: 'x'.repeat(100) }) },
  shared: { label: '30 users with 3 shared friends each, {user: u[0]}', make: sharedGraph },
  exponential: { label: "o = {}; o['k'+i] = o for i < 10", make: () => selfRefs(10) },
  selfRefs9: { label: 'an object with 9 self-references', make: () => selfRefs(9) },
  uint8: { label: '{data: new Uint8Array(1e7)}', make: () => ({ data: new Uint8Array(1e7) }) },
  buffer: { label: '{data: Buffer.alloc(1e7)}', make: () => ({ data: Buffer.alloc(1e7) }) },
  keys1m: { label: 'an object with 1M keys', make: () => manyKeys(1e6) },
  array1m: { label: '{list: an array of 1M numbers}', make: () => ({ list: Array.from({ length: 1e6 }, (_, i) => i) }) },
  records: { label: '{rows: 100,000 records {id, name, score}}', make: () => ({ rows: Array.from({ length: 1e5 }, (_, id) => ({ id, name: `user ${id}`, score: id / 7 })) }) },
  string1m: { label: '{text: a 1 MB string}', make: () => ({ text: flatText(1 << 20) }) },
  proxy: { label: 'a Proxy that throws on every trap', make: throwingProxy },
};

function sharedGraph(): unknown {
  const users = [...Array(30)].map((_, id) => ({ id, friends: [] as unknown[] }));
  for (const user of users) for (let k = 1; k <= 3; k++) user.friends.push(users[(user.id * 7 + k * 13) % 30]);
  return { user: users[0] };
}

function selfRefs(count: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) object[`k${i}`] = object;
  return object;
}

function manyKeys(count: number): Record<string, number> {
  const object: Record<string, number> = {};
  for (let i = 0; i < count; i++) object[`k${i}`] = i;
  return object;
}

function throwingProxy(): unknown {
  const thrower = (): never => {
    throw new Error('trap');
  };
  return new Proxy({}, new Proxy({}, { get: () => thrower }));
}

interface Result {
  readonly shape: string;
  readonly tracedMs: number;
  readonly tracedCpuMs: number;
  readonly firstMs: number;
  readonly firstCpuMs: number;
  readonly disabledMs: number;
  /** CPU time of `Object.keys(payload)`, median of as many calls as traced ones, interleaved with them. */
  readonly objectKeysCpuMs: number;
  readonly referenceCpuMs: number;
  readonly jsonBytes: number;
  readonly truncated: number;
  readonly failures: number;
  readonly status: string;
  readonly heapUsedMb: number;
}

async function runShape(shape: string): Promise<Result> {
  const { make } = SHAPES[shape]!;
  const sink = new LastPayloadSink();
  const tracer = new Tracer({ sink, logger: false });
  const disabled = new Tracer({ enabled: false });
  const payload = make();
  (globalThis as { gc?: () => void }).gc?.(); // see the file's comment: the payload's own collection
  const traced: number[] = [];
  const tracedCpu: number[] = [];
  const untraced: number[] = [];
  const objectKeysCpu: number[] = [];
  for (let call = 0; call < CALLS; call++) {
    let t0 = performance.now();
    disabled.withSpan('shape', payload, () => 1);
    untraced.push(performance.now() - t0);
    let c0 = process.cpuUsage();
    t0 = performance.now();
    tracer.withSpan('shape', payload, () => 1);
    traced.push(performance.now() - t0);
    let cpu = process.cpuUsage(c0);
    tracedCpu.push((cpu.user + cpu.system) / 1000);
    // What the engine needs to enumerate the payload's own keys (the floor for a 1M-key object).
    c0 = process.cpuUsage();
    try {
      Object.keys(payload as object);
      cpu = process.cpuUsage(c0);
      objectKeysCpu.push((cpu.user + cpu.system) / 1000);
    } catch {
      objectKeysCpu.push(Number.NaN);
    }
  }
  // The engine's own cost of writing a full budget: JSON.stringify of a 256 KiB string, in this process.
  const reference: number[] = [];
  const text = flatText(256 * 1024);
  for (let call = 0; call < CALLS; call++) {
    const c0 = process.cpuUsage();
    JSON.stringify({ text });
    const cpu = process.cpuUsage(c0);
    reference.push((cpu.user + cpu.system) / 1000);
  }
  const stats = tracer.stats();
  await tracer.shutdown();
  return {
    shape,
    tracedMs: median(traced),
    tracedCpuMs: median(tracedCpu),
    firstMs: traced[0]!,
    firstCpuMs: tracedCpu[0]!,
    disabledMs: median(untraced),
    objectKeysCpuMs: median(objectKeysCpu),
    referenceCpuMs: median(reference),
    jsonBytes: Buffer.byteLength(sink.lastPayloadJson),
    truncated: stats.payloadsTruncated,
    failures: stats.serializationFailures,
    status: sink.lastStatus,
    heapUsedMb: process.memoryUsage().heapUsed / 1_048_576,
  };
}

const shapeArg = process.argv[2];
if (shapeArg) {
  printResult(await runShape(shapeArg));
} else {
  printHeader('payload shapes: what withSpan costs the caller per payload shape (default maxPayloadBytes, 256 KiB)', {
    callsPerShape: CALLS,
    heapPerShape: `${HEAP_MB} MB (--max-old-space-size; 256 MB for the 1M-key object, which alone takes ~100 MB), one child process per shape`,
    sink: 'a sink that keeps the last payload text',
  });
  const self = fileURLToPath(import.meta.url);
  const rows: string[][] = [];
  let failed = 0;
  for (const [shape, { label }] of Object.entries(SHAPES)) {
    const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc --max-old-space-size=${HEAP_MB_FOR[shape] ?? HEAP_MB}`.trim() };
    try {
      const { result: r, exitCode } = await runChildForResult<Result>(self, [shape], env);
      const floor = Number.isNaN(r.objectKeysCpuMs) ? 0 : r.objectKeysCpuMs;
      rows.push([
        label,
        formatNumber(r.tracedMs - r.disabledMs, 2),
        formatNumber(r.tracedCpuMs, 2),
        Number.isNaN(r.objectKeysCpuMs) ? '-' : formatNumber(r.objectKeysCpuMs, 2),
        formatNumber(r.tracedCpuMs - floor, 2),
        formatNumber(r.referenceCpuMs, 2),
        `${formatNumber(r.firstMs, 2)} / ${formatNumber(r.firstCpuMs, 2)}`,
        formatNumber(r.jsonBytes),
        `${r.truncated}/${CALLS}`,
        `${r.failures}/${CALLS}`,
        exitCode === 0 ? r.status : `exit ${String(exitCode)}`,
      ]);
    } catch (error) {
      failed++;
      rows.push([label, 'FAILED', '-', '-', '-', '-', '-', '-', '-', '-', String(error instanceof Error ? error.message : error).slice(0, 60)]);
    }
  }
  printTable(
    ['payload', 'cost ms (median, wall, minus disabled)', 'CPU ms (median)', 'Object.keys CPU ms (median)', 'CPU ms beyond Object.keys', 'reference CPU ms', 'first call ms (wall / CPU)', 'JSON sent (bytes)', 'truncated', 'read failures', 'span'],
    rows,
  );
  printNotes([
    'cost: wall time of tracer.withSpan(shape, payload, () => 1) with a sink that only keeps the payload text, minus the same call on a disabled tracer; median of the calls (the first call, in its own column, includes compiling the serializer). The heap is collected once after the payload is built (its own collection is the program\'s, not the SDK\'s).',
    'reference CPU ms: JSON.stringify({text}) of a 256 KiB string in the same process: what the engine needs to write a full budget, to compare with.',
    'Object.keys CPU ms: what the engine alone needs to list the top-level keys (median, each call right after a traced one): the floor for a 1M-key object (the serializer lists them once). CPU ms beyond Object.keys = CPU ms - that floor.',
    'target: no shape costs more than 5 ms beyond that floor (CPU ms beyond Object.keys); wall times on a loaded machine include time the process was not running (the CPU columns are less disturbed, but count the collector\'s helper threads too).',
  ]);
  if (failed > 0) process.exitCode = 1;
}
