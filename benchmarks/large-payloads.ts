/**
 * Event-loop delay (node:perf_hooks monitorEventLoopDelay, p50/p99/max) while spans with 1 MB
 * payloads are created and delivered to the local server in its own process, against a baseline
 * that runs the same workload (building the same payloads) without tracing. Each scenario runs in a
 * fresh child process.
 *
 * Run: node --import tsx benchmarks/large-payloads.ts           (both scenarios)
 *      node --import tsx benchmarks/large-payloads.ts traced    (one scenario, prints a RESULT line)
 */
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Tracer } from '../src/index.js';
import { printResult, runChildForResult } from './lib/child.js';
import { formatMb, formatNumber, printHeader, printNotes, printTable } from './lib/machine.js';
import { startProfile } from './lib/profile.js';
import { PeakRssSampler } from './lib/rss.js';
import { startServerProcess, type ServerProcess } from './lib/server-process.js';
import { spansOnServer } from './lib/verify.js';
import { benchBlob, benchTracer, flatText } from './lib/workload.js';

const SPANS = Number(process.env.BENCH_LARGE_SPANS ?? 50);
const PAYLOAD_BYTES = Number(process.env.BENCH_LARGE_BYTES ?? 1_048_576);
const WORK_MS = 20; // what each span's function awaits (a model call), during which the loop is free
const RESOLUTION_MS = 1;

interface Result {
  readonly scenario: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  readonly workloadMs: number;
  readonly flushMs: number;
  readonly flushOk: boolean | undefined;
  readonly onServer: number | undefined;
  readonly dropped: Record<string, number> | undefined;
  readonly requests: number | undefined;
  readonly sampledPeakRss: number;
  readonly maxRss: number;
}

async function workload(tracer: Tracer | undefined): Promise<void> {
  for (let i = 0; i < SPANS; i++) {
    // A fresh 1 MB string per span, as a real prompt or document would be.
    const payload = { i, text: flatText(PAYLOAD_BYTES, String(i % 10)) };
    if (tracer) await tracer.withSpan(benchBlob, payload, () => sleep(WORK_MS));
    else await sleep(WORK_MS);
  }
}

async function runScenario(scenario: string): Promise<Result> {
  const traced = scenario === 'traced';
  const server: ServerProcess | undefined = traced ? await startServerProcess() : undefined;
  // 1 MB payloads are larger than the default maxPayloadBytes (256 KiB): raised, so that they are sent whole.
  const tracer = server ? benchTracer(server.url, server.token, { maxPayloadBytes: 2 * 1024 * 1024 }) : undefined;
  // Register the instance and warm the connection before measuring.
  let instanceId = '';
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const stopProfile = await startProfile();
  const sampler = new PeakRssSampler(10).start();
  let workloadMs = 0;
  let flushMs = 0;
  let flushOk: boolean | undefined;
  const run = async (): Promise<void> => {
    histogram.enable();
    const t0 = performance.now();
    await workload(tracer);
    workloadMs = performance.now() - t0;
  };
  if (tracer) {
    await tracer.withInstance(async (instance) => {
      instanceId = instance.id;
      await run();
    });
    const f0 = performance.now();
    flushOk = await tracer.flush({ timeoutMs: 60_000 });
    flushMs = performance.now() - f0;
  } else {
    await run();
  }
  histogram.disable();
  const rss = sampler.stop();
  await stopProfile();
  const stats = tracer?.stats();
  const holdings = server ? await spansOnServer(server.url, server.token, instanceId) : undefined;
  await tracer?.shutdown({ timeoutMs: 10_000 });
  await server?.close();
  const ms = (ns: number): number => ns / 1e6;
  return {
    scenario,
    p50Ms: ms(histogram.percentile(50)),
    p99Ms: ms(histogram.percentile(99)),
    maxMs: ms(histogram.max),
    meanMs: ms(histogram.mean),
    workloadMs,
    flushMs,
    flushOk,
    onServer: holdings?.uniqueIds,
    dropped: stats ? { ...stats.dropped } : undefined,
    requests: stats?.requestsSent,
    sampledPeakRss: rss.sampledPeakBytes,
    maxRss: rss.maxRssBytes,
  };
}

const scenarioArg = process.argv[2];
if (scenarioArg) {
  printResult(await runScenario(scenarioArg));
} else {
  printHeader('large payloads: event-loop delay with 1 MB span payloads', {
    spans: SPANS,
    payloadBytes: PAYLOAD_BYTES,
    payload: '{i, text: <1 MB string>}, a fresh string per span',
    eachSpanAwaitsMs: WORK_MS,
    monitorEventLoopDelayResolutionMs: RESOLUTION_MS,
    deliveryOptions: 'defaults',
  });
  const self = fileURLToPath(import.meta.url);
  const results: Result[] = [];
  for (const key of ['baseline', 'traced']) results.push((await runChildForResult<Result>(self, [key])).result);
  printTable(
    ['scenario', 'loop delay p50 ms', 'p99 ms', 'max ms', 'mean ms', 'workload ms', 'flush ms', 'on server', 'requests', 'drops', 'peak RSS (sampled)', 'maxRSS'],
    results.map((r) => [
      r.scenario === 'traced' ? 'traced (delivery to local server, own process)' : 'baseline (no tracing)',
      formatNumber(r.p50Ms, 2),
      formatNumber(r.p99Ms, 2),
      formatNumber(r.maxMs, 2),
      formatNumber(r.meanMs, 2),
      formatNumber(r.workloadMs),
      r.flushOk === undefined ? '-' : `${formatNumber(r.flushMs)}${r.flushOk ? '' : ' (false)'}`,
      r.onServer === undefined ? '-' : `${formatNumber(r.onServer)} / ${SPANS}`,
      r.requests === undefined ? '-' : formatNumber(r.requests),
      r.dropped ? Object.entries(r.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ') || '0' : '-',
      formatMb(r.sampledPeakRss),
      formatMb(r.maxRss),
    ]),
  );
  printNotes([
    `loop delay: monitorEventLoopDelay({resolution: ${RESOLUTION_MS}}) over the workload and, when traced, the flush after it; the histogram includes the resolution (about ${RESOLUTION_MS} ms).`,
    'requests: tracer.stats().requestsSent for the whole run (instance register/start/finish included).',
  ]);
}
