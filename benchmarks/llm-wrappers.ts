/**
 * CPU cost of `wrapOpenAI` / `wrapAnthropic`, in us per call and per streamed chunk: the same calls
 * through an unwrapped and a wrapped client of the fake model server (run in a child process, so
 * its CPU is not counted), rounds alternating, median over the rounds. A call's CPU is the
 * process's user+system time over the round divided by the calls. Targets: <= 20 us per
 * non-streamed call, <= 2 us per streamed chunk.
 *
 * Run: node --import tsx benchmarks/llm-wrappers.ts   (BENCH_CALLS, BENCH_STREAMS, BENCH_ROUNDS)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { SpanSink } from '../src/sinks/span-sink.js';
import { Tracer } from '../src/index.js';
import { wrapAnthropic } from '../src/integrations/anthropic/index.js';
import { wrapOpenAI } from '../src/integrations/openai/index.js';
import { formatNumber, median, printHeader, printNotes, printTable } from './lib/machine.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 300);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WORDS = 200; // the echoed answer: ~200 chunks per stream

for (const key of ['PREFACTOR_API_URL', 'PREFACTOR_API_TOKEN', 'PREFACTOR_AGENT_ID']) delete process.env[key];

/** A sink that drops everything: what is measured is the wrapper and the tracer's hot path. */
class NoopSink implements SpanSink {
  registerInstance(): void {}
  startInstance(): void {}
  finishInstance(): void {}
  spanStarted(): void {}
  spanEnded(): void {}
  async flush(): Promise<boolean> {
    return true;
  }
  async shutdown(): Promise<boolean> {
    return true;
  }
}

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const script = fileURLToPath(new URL(`./lib/model-server-main${ext}`, import.meta.url));
const child = spawn(process.execPath, [...process.execArgv, script], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = (await once(child.stdout, 'data')) as [Buffer];
const url = line.toString('utf8').trim();

const tracer = new Tracer({ sink: new NoopSink(), logger: false });
const openai = () => new OpenAI({ apiKey: 'sk-bench', baseURL: `${url}/v1`, maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: 'sk-bench', baseURL: url, maxRetries: 0 });
const plainOpenAI = openai();
const tracedOpenAI = wrapOpenAI(openai());
const plainAnthropic = anthropic();
const tracedAnthropic = wrapAnthropic(anthropic());

const short = [{ role: 'user' as const, content: 'What is the weather in Paris today?' }];
const long = [{ role: 'user' as const, content: Array.from({ length: WORDS }, (_, i) => `w${i}`).join(' ') }];

type Workload = { name: string; units: number; unit: string; run: (client: 'plain' | 'traced') => Promise<number> };

const workloads: Workload[] = [
  {
    name: 'openai chat.completions.create',
    units: CALLS,
    unit: 'call',
    run: async (which) => {
      const client = which === 'plain' ? plainOpenAI : tracedOpenAI;
      for (let i = 0; i < CALLS; i++) await client.chat.completions.create({ model: 'gpt-bench', messages: short, temperature: 0 });
      return CALLS;
    },
  },
  {
    name: 'anthropic messages.create',
    units: CALLS,
    unit: 'call',
    run: async (which) => {
      const client = which === 'plain' ? plainAnthropic : tracedAnthropic;
      for (let i = 0; i < CALLS; i++) await client.messages.create({ model: 'claude-bench', max_tokens: 100, messages: short });
      return CALLS;
    },
  },
  {
    name: 'openai chat stream (stream_options set)',
    units: 0,
    unit: 'chunk',
    run: async (which) => {
      const client = which === 'plain' ? plainOpenAI : tracedOpenAI;
      let chunks = 0;
      for (let i = 0; i < STREAMS; i++) {
        const stream = await client.chat.completions.create({ model: 'gpt-bench', messages: long, stream: true, stream_options: { include_usage: true } });
        for await (const _ of stream) chunks++;
      }
      return chunks;
    },
  },
  {
    name: 'openai chat stream (usage asked by the wrapper)',
    units: 0,
    unit: 'chunk',
    run: async (which) => {
      const client = which === 'plain' ? plainOpenAI : tracedOpenAI;
      let chunks = 0;
      for (let i = 0; i < STREAMS; i++) {
        for await (const _ of await client.chat.completions.create({ model: 'gpt-bench', messages: long, stream: true })) chunks++;
      }
      return chunks;
    },
  },
  {
    name: 'anthropic messages stream',
    units: 0,
    unit: 'chunk',
    run: async (which) => {
      const client = which === 'plain' ? plainAnthropic : tracedAnthropic;
      let chunks = 0;
      for (let i = 0; i < STREAMS; i++) {
        for await (const _ of await client.messages.create({ model: 'claude-bench', max_tokens: 100, messages: long, stream: true })) chunks++;
      }
      return chunks;
    },
  },
];

function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function measure(run: () => Promise<number>): Promise<{ us: number; units: number }> {
  const start = cpuUs();
  const units = await run();
  return { us: cpuUs() - start, units };
}

printHeader('LLM client wrappers: CPU over the unwrapped client', { calls: CALLS, streams: STREAMS, rounds: ROUNDS, chunksPerStream: `~${WORDS + 3}` });
const rows: string[][] = [];
await tracer.withInstance(async () => {
  for (const workload of workloads) {
    await workload.run('plain'); // warm-up
    await workload.run('traced');
    const plain: number[] = [];
    const traced: number[] = [];
    let units = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const a = await measure(() => workload.run('plain'));
      const b = await measure(() => workload.run('traced'));
      plain.push(a.us / a.units);
      traced.push(b.us / b.units);
      units = b.units;
    }
    const overhead = median(traced) - median(plain);
    const target = workload.unit === 'call' ? 20 : 2;
    rows.push([
      workload.name,
      `${formatNumber(units)} ${workload.unit}s`,
      formatNumber(median(plain), 2),
      formatNumber(median(traced), 2),
      formatNumber(overhead, 2),
      `<= ${target}: ${overhead <= target ? 'met' : 'MISSED'}`,
    ]);
  }
});
printTable(['workload', 'per round', 'unwrapped us/unit', 'wrapped us/unit', 'overhead us/unit', 'target'], rows);
printNotes([
  'CPU of this process only (the fake server runs in a child process); medians over alternating rounds',
  'a streamed chunk\'s figure includes the span of its call spread over its ~200 chunks',
  '"usage asked by the wrapper": the request gets stream_options.include_usage, so the client also parses `"usage":null` in every chunk and one chunk more, which the wrapper hides',
]);
await tracer.shutdown();
child.kill();
