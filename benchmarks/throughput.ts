/**
 * Spans delivered per second to the local server running in its own process, measured from the
 * first span until `flush()` resolves; HTTP requests per span; client CPU per span; peak RSS; and a
 * check that the server holds exactly the spans sent. Each scenario runs in a fresh child process
 * (clean RSS) with a fresh server process.
 *
 * Run: node --import tsx benchmarks/throughput.ts            (all scenarios)
 *      node --import tsx benchmarks/throughput.ts burst      (one scenario, prints a RESULT line)
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Tracer } from '../src/index.js';
import { printResult, runChildForResult } from './lib/child.js';
import { formatMb, formatNumber, printHeader, printNotes, printTable } from './lib/machine.js';
import { startProfile } from './lib/profile.js';
import { PeakRssSampler } from './lib/rss.js';
import { startServerProcess } from './lib/server-process.js';
import { spansOnServer } from './lib/verify.js';
import { benchTracer, tracedAsyncTree } from './lib/workload.js';

const BURST_SPANS = Number(process.env.BENCH_BURST_SPANS ?? 30_000);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 5_000); // spans per second
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 4);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3); // runs per scenario, each in a fresh process
const WARMUP_ROOTS = 300; // 900 spans into a separate instance before measuring (JIT, keep-alive socket)

interface Scenario {
  readonly name: string;
  readonly description: string;
  /** `stub`: a minimal stand-in server instead of the local server (the SDK's own ceiling). */
  readonly server?: 'stub';
  readonly run: (tracer: Tracer) => Promise<number>; // returns the number of spans it created
}

const SCENARIOS: Record<string, Scenario> = {
  burst: {
    name: 'burst',
    description: `${BURST_SPANS / 3} roots x (1 + 2 children) back to back, never yielding to the event loop`,
    run: async (tracer) => {
      await tracedAsyncTree(tracer, 0, BURST_SPANS / 3);
      return BURST_SPANS;
    },
  },
  'burst-yielding': {
    name: 'burst, yielding',
    description: `${BURST_SPANS / 3} roots x 3 spans, setImmediate after every 100 roots`,
    run: async (tracer) => {
      await tracedAsyncTree(tracer, 0, BURST_SPANS / 3, 100);
      return BURST_SPANS;
    },
  },
  'burst-stub': {
    name: 'burst, stub server',
    description:
      'the burst against a minimal stand-in that acknowledges every item without validating or storing it (benchmarks/lib/stub-server-main.ts): ' +
      'the SDK\'s own ceiling on this machine; "on server" is the distinct span ids it was asked to create',
    server: 'stub',
    run: async (tracer) => {
      await tracedAsyncTree(tracer, 0, BURST_SPANS / 3);
      return BURST_SPANS;
    },
  },
  steady: {
    name: 'steady',
    description: `${STEADY_RATE} spans/s for ${STEADY_SECONDS} s (roots of 3 spans, paced every 10 ms)`,
    run: async (tracer) => {
      const totalRoots = Math.round((STEADY_RATE * STEADY_SECONDS) / 3);
      const started = performance.now();
      let done = 0;
      while (done < totalRoots) {
        const due = Math.min(totalRoots, Math.floor(((performance.now() - started) * STEADY_RATE) / 3000));
        if (due > done) {
          await tracedAsyncTree(tracer, done, due - done);
          done = due;
        }
        await sleep(10);
      }
      return totalRoots * 3;
    },
  },
};

interface Result {
  readonly scenario: string;
  readonly spans: number;
  readonly onServer: number;
  readonly uniqueOnServer: number;
  readonly completeOnServer: number;
  readonly durationMs: number;
  readonly produceMs: number;
  readonly flushOk: boolean;
  readonly clientRequests: number;
  readonly serverRequests: number;
  readonly cpuUs: number;
  readonly produceCpuUs: number;
  readonly serverCpuUs: number;
  readonly startRss: number;
  readonly sampledPeakRss: number;
  readonly maxRss: number;
  /** `process.memoryUsage()` before the first span and at the sampled peak. */
  readonly atStart: NodeJS.MemoryUsage;
  readonly atPeak: NodeJS.MemoryUsage;
  /** `process.memoryUsage()` when the last span ended (delivery not started in a burst). */
  readonly atProduced: NodeJS.MemoryUsage;
  readonly dropped: Record<string, number>;
}

async function runScenario(key: string): Promise<Result> {
  const scenario = SCENARIOS[key];
  if (!scenario) throw new Error(`Unknown scenario ${key}; use one of ${Object.keys(SCENARIOS).join(', ')}`);
  const server = await startServerProcess(scenario.server ?? 'local');
  const tracer = benchTracer(server.url, server.token);
  await tracer.withInstance(() => tracedAsyncTree(tracer, 0, WARMUP_ROOTS, 100));
  await tracer.flush({ timeoutMs: 30_000 });
  const requestsBefore = tracer.stats().requestsSent;
  const serverBefore = await server.counts();

  const stopProfile = await startProfile();
  await server.profile('start');
  const atStart = process.memoryUsage();
  const startRss = atStart.rss;
  const sampler = new PeakRssSampler(10).start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let instanceId = '';
  let spans = 0;
  await tracer.withInstance(async (instance) => {
    instanceId = instance.id;
    spans = await scenario.run(tracer);
  });
  const produced = performance.now();
  const producedCpu = process.cpuUsage(cpu0);
  const atProduced = process.memoryUsage();
  sampler.sample();
  const flushOk = await tracer.flush({ timeoutMs: 120_000 });
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const rss = sampler.stop();
  await stopProfile();
  await server.profile('stop');
  const stats = tracer.stats();
  const serverCounts = await server.counts(instanceId);
  const holdings =
    scenario.server === 'stub'
      ? { spans: (serverCounts.spans ?? 0) - (serverBefore.spans ?? 0), uniqueIds: (serverCounts.spans ?? 0) - (serverBefore.spans ?? 0), complete: (serverCounts.spans ?? 0) - (serverBefore.spans ?? 0) }
      : await spansOnServer(server.url, server.token, instanceId);
  await tracer.shutdown({ timeoutMs: 10_000 });
  await server.close();
  return {
    scenario: scenario.name,
    spans,
    onServer: holdings.spans,
    uniqueOnServer: holdings.uniqueIds,
    completeOnServer: holdings.complete,
    durationMs: t1 - t0,
    produceMs: produced - t0,
    flushOk,
    clientRequests: stats.requestsSent - requestsBefore,
    serverRequests: serverCounts.requests - serverBefore.requests,
    serverCpuUs: serverCounts.cpuUs - serverBefore.cpuUs,
    cpuUs: cpu.user + cpu.system,
    produceCpuUs: producedCpu.user + producedCpu.system,
    startRss,
    sampledPeakRss: rss.sampledPeakBytes,
    maxRss: rss.maxRssBytes,
    atStart,
    atPeak: rss.atPeak,
    atProduced,
    dropped: { ...stats.dropped },
  };
}

const scenarioArg = process.argv[2];
if (scenarioArg) {
  printResult(await runScenario(scenarioArg));
} else {
  printHeader('throughput: spans delivered to the local server (own process)', {
    burstSpans: BURST_SPANS,
    runsPerScenario: REPEAT,
    steady: `${STEADY_RATE} spans/s x ${STEADY_SECONDS} s`,
    payload: "{i, text: 'x'.repeat(100)}",
    warmup: `${WARMUP_ROOTS * 3} spans in another instance, flushed, before measuring`,
    deliveryOptions: 'defaults',
  });
  const self = fileURLToPath(import.meta.url);
  const results: (Result & { rates: number[] })[] = [];
  for (const key of Object.keys(SCENARIOS)) {
    const runs: Result[] = [];
    for (let run = 0; run < REPEAT; run++) runs.push((await runChildForResult<Result>(self, [key])).result);
    const rate = (r: Result): number => r.spans / r.durationMs;
    runs.sort((a, b) => rate(a) - rate(b));
    const middle = runs[Math.floor((runs.length - 1) / 2)]!;
    results.push({ ...middle, rates: runs.map((r) => rate(r) * 1000) });
  }
  printTable(
    ['scenario', 'spans', 'on server', 'lost', 'time to flush ms', 'of which producing', 'spans/s (median)', 'spans/s (all runs)', 'req (client)', 'req (server)', 'req/span', 'client CPU us/span (producing + delivering)', 'server CPU us/span', 'RSS at start', 'peak RSS (sampled)', 'maxRSS', 'V8 heap / external at start, end of producing, peak', 'drops'],
    results.map((r) => [
      r.scenario,
      formatNumber(r.spans),
      formatNumber(r.onServer) + (r.uniqueOnServer === r.onServer ? '' : ` (${r.uniqueOnServer} unique)`),
      formatNumber(r.spans - r.uniqueOnServer) + (r.completeOnServer === r.onServer ? '' : `, ${r.onServer - r.completeOnServer} not complete`),
      `${formatNumber(r.durationMs)}${r.flushOk ? '' : ' (flush false)'}`,
      formatNumber(r.produceMs),
      formatNumber((r.spans / r.durationMs) * 1000),
      r.rates.map((rate) => formatNumber(rate)).join(' / '),
      formatNumber(r.clientRequests),
      formatNumber(r.serverRequests),
      formatNumber(r.clientRequests / r.spans, 4),
      `${formatNumber(r.cpuUs / r.spans, 1)} (${formatNumber(r.produceCpuUs / r.spans, 1)} + ${formatNumber((r.cpuUs - r.produceCpuUs) / r.spans, 1)})`,
      formatNumber(r.serverCpuUs / r.spans, 1),
      formatMb(r.startRss),
      formatMb(r.sampledPeakRss),
      formatMb(r.maxRss),
      [r.atStart, r.atProduced, r.atPeak].map((m) => `${formatMb(m.heapTotal)} / ${formatMb(m.external)}`).join(', '),
      Object.entries(r.dropped).filter(([, n]) => n > 0).map(([reason, n]) => `${reason}=${n}`).join(' ') || '0',
    ]),
  );
  printNotes([
    ...Object.values(SCENARIOS).map((s) => `${s.name}: ${s.description}.`),
    'time to flush: from the first span (withInstance, which registers the instance) until tracer.flush() resolves; spans/s = spans / that time.',
    'on server / lost: GET /api/v1/agent_spans?agent_instance_id=... through PrefactorHttpClient after flush; lost = spans created - distinct ids held.',
    'of which producing: until the last span of the workload ended (then only delivery is left).',
    `each scenario ran ${REPEAT} times, each in a fresh process with a fresh server; the row shows the run with the median spans/s, and the rates of all runs. ` +
      'CPU figures (process.cpuUsage, all threads, GC helpers included) depend less on other load on the machine than the rates do.',
    'req (server): requests the server process counted in the same interval. client CPU: process.cpuUsage() of this process over the interval, ' +
      'split at the end of producing (the burst never lets the loop turn, so the part after it is delivery alone); server CPU: the server process\'s own cpuUsage().',
    'RSS at start: after imports, server start and warm-up, just before the first measured span. peak RSS (sampled): process.memoryUsage.rss() every 10 ms (only when the loop turns); maxRSS: process.resourceUsage().maxRSS (whole process life).',
    'V8 heap / external: process.memoryUsage() heapTotal (committed V8 heap) and external (Buffers and typed arrays: the held operations and request bodies) before the first span, when the last span ended and at the sampled peak.',
    'targets (burst): >= 50,000 spans/s, none lost, <= 0.02 requests per span, peak RSS <= 130 MB (issue #14).',
  ]);
}
