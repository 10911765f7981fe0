/**
 * The API down for the whole run (a URL on 127.0.0.1 where nothing listens): many more spans than
 * `maxQueueSize` / `maxQueueBytes` allow. Shows that peak RSS stays bounded, that the drops are
 * counted by reason in `stats()`, and that the process exits by itself within `shutdownTimeoutMs`
 * after `shutdown()` (measured by this process, from the child's `shutdown()` call to its exit).
 * Each scenario runs in a fresh child process.
 *
 * Run: node --import tsx benchmarks/outage.ts             (all scenarios)
 *      node --import tsx benchmarks/outage.ts defaults    (one scenario, prints a RESULT line)
 */
import { fileURLToPath } from 'node:url';
import { Tracer } from '../src/index.js';
import { printResult, runChildForResult } from './lib/child.js';
import { formatMb, formatNumber, printHeader, printNotes, printTable } from './lib/machine.js';
import { PeakRssSampler } from './lib/rss.js';
import { deadUrl } from './lib/server-process.js';
import { benchStep, benchTracer, flatText, work, yieldToLoop } from './lib/workload.js';

const SPANS = Number(process.env.BENCH_OUTAGE_SPANS ?? 210_000);

interface Scenario {
  readonly description: string;
  /** The untraced scenario with the same workload, whose peak RSS is this one's reference. */
  readonly baseline?: string;
  readonly traced: boolean;
  readonly spans: number;
  readonly textBytes: number;
  readonly options: Record<string, number>;
}

const SCENARIOS: Record<string, Scenario> = {
  baseline: { description: 'no tracer (workload alone)', traced: false, spans: SPANS, textBytes: 100, options: {} },
  defaults: { description: 'defaults', baseline: 'baseline', traced: true, spans: SPANS, textBytes: 100, options: {} },
  small: {
    description: 'small bounds',
    baseline: 'baseline',
    traced: true,
    spans: SPANS,
    textBytes: 100,
    options: { maxQueueSize: 10_000, maxQueueBytes: 4 * 1024 * 1024, shutdownTimeoutMs: 2000 },
  },
  'baseline-10k': { description: 'no tracer, 10 KB payloads', traced: false, spans: 30_000, textBytes: 10_000, options: {} },
  'bytes-10k': {
    description: '10 KB payloads, bytes bound',
    baseline: 'baseline-10k',
    traced: true,
    spans: 30_000,
    textBytes: 10_000,
    options: { maxQueueBytes: 8 * 1024 * 1024, shutdownTimeoutMs: 2000 },
  },
};

interface Result {
  readonly scenario: string;
  readonly spans: number;
  readonly workloadMs: number;
  readonly sampledPeakRss: number;
  readonly maxRss: number;
  readonly stats: Record<string, unknown> | undefined;
  readonly statsAfterShutdown: Record<string, unknown> | undefined;
  readonly shutdownCalledAt: number;
  readonly shutdownResolvedMs: number;
  readonly shutdownResult: boolean | undefined;
  readonly shutdownTimeoutMs: number;
}

async function workload(tracer: Tracer | undefined, spans: number, textBytes: number): Promise<void> {
  const roots = Math.ceil(spans / 3);
  // 100-byte texts as in the other benchmarks; larger ones flat (see flatText).
  const text = textBytes <= 100 ? () => 'x'.repeat(textBytes) : () => flatText(textBytes);
  for (let i = 0; i < roots; i++) {
    if (tracer) {
      await tracer.withSpan(benchStep, { i, text: text() }, async () => {
        await tracer.withSpan(benchStep, { i, text: text() }, work);
        await tracer.withSpan(benchStep, { i, text: text() }, work);
      });
    } else {
      const payload = { i, text: text() };
      await (async () => {
        await work();
        await work();
      })();
      if (payload.i < 0) console.log(payload);
    }
    // A realistic program lets the loop turn: the delivery worker gets to try (and fail) to send.
    if ((i + 1) % 100 === 0) await yieldToLoop();
  }
}

async function runScenario(key: string): Promise<Result> {
  const scenario = SCENARIOS[key];
  if (!scenario) throw new Error(`Unknown scenario ${key}; use one of ${Object.keys(SCENARIOS).join(', ')}`);
  const tracer = scenario.traced ? benchTracer(await deadUrl(), 'bench-token', scenario.options) : undefined;
  const sampler = new PeakRssSampler(10).start();
  const t0 = performance.now();
  await workload(tracer, scenario.spans, scenario.textBytes);
  const workloadMs = performance.now() - t0;
  const rss = sampler.stop();
  const stats = tracer ? (JSON.parse(JSON.stringify(tracer.stats())) as Record<string, unknown>) : undefined;
  const shutdownCalledAt = Date.now();
  const s0 = performance.now();
  const shutdownResult = tracer ? await tracer.shutdown() : undefined;
  const shutdownResolvedMs = performance.now() - s0;
  const statsAfterShutdown = tracer ? (JSON.parse(JSON.stringify(tracer.stats())) as Record<string, unknown>) : undefined;
  return {
    scenario: key,
    spans: Math.ceil(scenario.spans / 3) * 3,
    workloadMs,
    sampledPeakRss: rss.sampledPeakBytes,
    maxRss: rss.maxRssBytes,
    stats,
    statsAfterShutdown,
    shutdownCalledAt,
    shutdownResolvedMs,
    shutdownResult,
    shutdownTimeoutMs: scenario.options.shutdownTimeoutMs ?? 5000,
  };
}

const scenarioArg = process.argv[2];
if (scenarioArg) {
  // Print and then let the process end by itself: the parent times the exit.
  printResult(await runScenario(scenarioArg));
} else {
  printHeader('outage: the API is down for the whole run', {
    spans: SPANS,
    payload: "{i, text: 'x'.repeat(100)} (10 KB scenarios: a fresh flat 10,000-character string)",
    yieldEveryRoots: 100,
    url: 'http://127.0.0.1:<a port nothing listens on>',
    scenarios: Object.fromEntries(Object.entries(SCENARIOS).map(([key, s]) => [key, s.options])),
  });
  const self = fileURLToPath(import.meta.url);
  const rows: string[][] = [];
  const peakOf: Record<string, number> = {};
  for (const key of Object.keys(SCENARIOS)) {
    const { result: r, exitedAt, exitCode } = await runChildForResult<Result>(self, [key]);
    peakOf[key] = Math.max(r.maxRss, r.sampledPeakRss);
    const reference = SCENARIOS[key]?.baseline;
    const referencePeak = reference === undefined ? undefined : peakOf[reference];
    type Stats = { operationsEnqueued: number; operationsSent: number; queued: number; inFlight: number; dropped: Record<string, number> };
    const stats = r.stats as Stats | undefined;
    const after = r.statsAfterShutdown as Stats | undefined;
    const dropText = (s: Stats | undefined): string =>
      s ? Object.entries(s.dropped).filter(([, n]) => n > 0).map(([reason, n]) => `${reason}=${formatNumber(n)}`).join(' ') || '0' : '-';
    // The engine's accounting: enqueued = sent + sum(dropped) + queued + inFlight.
    const balanced = (s: Stats): boolean =>
      s.operationsEnqueued === s.operationsSent + Object.values(s.dropped).reduce((a, b) => a + b, 0) + s.queued + s.inFlight;
    const options = SCENARIOS[key]?.options ?? {};
    rows.push([
      key,
      Object.entries(options).map(([k, v]) => `${k}=${v}`).join(' ') || (SCENARIOS[key]?.traced ? 'defaults' : '-'),
      formatNumber(r.spans),
      formatNumber(r.workloadMs),
      formatMb(r.sampledPeakRss),
      formatMb(r.maxRss),
      referencePeak === undefined ? '-' : formatMb(peakOf[key]! - referencePeak),
      stats ? `${formatNumber(stats.operationsEnqueued)} / ${formatNumber(stats.operationsSent)} / ${formatNumber(stats.queued + stats.inFlight)}` : '-',
      dropText(stats),
      dropText(after),
      stats && after ? (balanced(stats) && balanced(after) ? 'yes' : 'NO') : '-',
      r.shutdownResult === undefined ? '-' : String(r.shutdownResult),
      formatNumber(r.shutdownResolvedMs),
      `${formatNumber(exitedAt - r.shutdownCalledAt)} (limit ${formatNumber(r.shutdownTimeoutMs)})`,
      String(exitCode),
    ]);
  }
  printTable(
    ['scenario', 'options', 'spans', 'workload ms', 'peak RSS (sampled)', 'maxRSS', 'peak above untraced run', 'ops enqueued / sent / held', 'drops by reason (before shutdown)', 'drops by reason (after shutdown)', 'counts add up', 'shutdown()', 'shutdown ms', 'shutdown -> exit ms', 'exit code'],
    rows,
  );
  printNotes([
    'peak RSS (sampled): process.memoryUsage.rss() every 10 ms while the loop turns; maxRSS: process.resourceUsage().maxRSS (whole process life).',
    'peak above untraced run: peak RSS minus the peak of the untraced run of the same workload (baseline / baseline-10k): what the tracer and its queue cost.',
    'ops are operations with the engine\'s weights (a create carrying its finish counts 2); held = queued + in flight when the workload ends.',
    'drops are read from tracer.stats() when the workload ends and again after shutdown() (what it gives up counts as shutdown_timeout); ' +
      'counts add up: enqueued = sent + sum(dropped) + queued + inFlight, both times.',
    'shutdown -> exit: from the child calling tracer.shutdown() (Date.now()) to this process seeing it exit; the child never calls process.exit().',
  ]);
}
