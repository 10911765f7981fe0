/**
 * Instructions per span of `withSpan` (tracer alone, a sink that drops everything), for
 * `valgrind --tool=callgrind`, whose counts do not depend on the machine's load:
 *
 *   npx tsc -p tsconfig.bench.json
 *   valgrind --tool=callgrind node --single-threaded build/benchmarks/instructions.js sync 20000
 *   valgrind --tool=callgrind node --single-threaded build/benchmarks/instructions.js sync 40000
 *
 * (instructions of the 2N run - those of the N run) / N = instructions per span: start-up and
 * warm-up cancel out. Mode `sync` traces `() => i`, `async` traces `async () => i` (awaited),
 * `serialize` snapshots the payload alone.
 *
 * What does not cancel out is garbage collection: a major GC that lands in one run and not the
 * other moves the figure by thousands of instructions per span (at N = 10,000 even below zero).
 * Use N >= 20,000, run twice, and for a change of a few hundred instructions compare profiles
 * without the collector's functions (`callgrind_annotate`; `node --perf-basic-prof` writes the
 * names of the compiled JS functions to /tmp/perf-<pid>.map).
 */
import type { SpanSink } from '../src/sinks/span-sink.js';
import { Tracer } from '../src/index.js';
import { serializePayload } from '../src/tracing/serialize.js';

for (const key of ['PREFACTOR_API_URL', 'PREFACTOR_API_TOKEN', 'PREFACTOR_AGENT_ID']) delete process.env[key];

const mode = process.argv[2] ?? 'sync';
const spans = Number(process.argv[3] ?? 20_000);
const WARMUP = 20_000;

/** A sink that drops everything. */
const sink: SpanSink = {
  registerInstance() {},
  startInstance() {},
  finishInstance() {},
  spanStarted() {},
  spanEnded() {},
  flush: async () => true,
  shutdown: async () => true,
};

const tracer = new Tracer({ sink, agentId: 'bench', handleSignals: false });

function runSync(count: number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += tracer.withSpan('x', { i, text: 'hello' }, () => i);
  return sum;
}

async function runAsync(count: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += await tracer.withSpan('x', { i, text: 'hello' }, async () => i);
  return sum;
}

function runSerialize(count: number): number {
  let length = 0;
  for (let i = 0; i < count; i++) length += serializePayload({ i, text: 'hello' }).length;
  return length;
}

if (mode === 'serialize') {
  runSerialize(WARMUP);
  runSerialize(spans);
  process.exit(0);
}
const run = mode === 'async' ? runAsync : runSync;
await run(WARMUP);
await run(spans);
const stats = tracer.stats();
if (stats.spansEnded !== WARMUP + spans || stats.telemetryErrors !== 0) throw new Error(`unexpected stats ${JSON.stringify(stats)}`);
await tracer.shutdown();
