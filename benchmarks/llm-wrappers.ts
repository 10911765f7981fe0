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

/**
 * The clients' transport (their documented `fetch` option): the first answer to each distinct
 * request comes from the fake server over HTTP, later ones are replayed from memory, so that socket
 * and HTTP parsing noise (milliseconds on a loaded machine) does not drown the wrapper's
 * microseconds. The clients' own code (request building, retries, parsing, SSE decoding) all runs.
 * BENCH_TRANSPORT=http sends every request over HTTP instead.
 */
const replayed = new Map<string, { status: number; headers: [string, string][]; body: string }>();
async function replayingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const key = `${String(input)} ${String(init?.body)}`;
  let answer = replayed.get(key);
  if (answer === undefined) {
    const response = await fetch(input, init);
    answer = { status: response.status, headers: [...response.headers], body: await response.text() };
    replayed.set(key, answer);
  }
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
const transport = process.env.BENCH_TRANSPORT === 'http' ? {} : { fetch: replayingFetch };

const validatePayloads = (process.env.BENCH_VALIDATE ?? 'warn') as 'warn' | 'off';
const tracer = new Tracer({ sink: new NoopSink(), logger: false, validatePayloads });
const openai = () => new OpenAI({ apiKey: 'sk-bench', baseURL: `${url}/v1`, maxRetries: 0, ...transport });
const anthropic = () => new Anthropic({ apiKey: 'sk-bench', baseURL: url, maxRetries: 0, ...transport });
const plainOpenAI = openai();
const tracedOpenAI = wrapOpenAI(openai());
const plainAnthropic = anthropic();
const tracedAnthropic = wrapAnthropic(anthropic());

const short = [{ role: 'user' as const, content: 'What is the weather in Paris today?' }];
const long = [{ role: 'user' as const, content: Array.from({ length: WORDS }, (_, i) => `w${i}`).join(' ') }];

/** One unit of work (a call, or a whole stream) on the unwrapped or the wrapped client; resolves to its units (1, or chunks). */
type Workload = { name: string; unit: string; repeat: number; once: (client: 'plain' | 'traced') => Promise<number> };

const workloads: Workload[] = [
  {
    name: 'openai chat.completions.create',
    unit: 'call',
    repeat: CALLS,
    once: async (which) => {
      await (which === 'plain' ? plainOpenAI : tracedOpenAI).chat.completions.create({ model: 'gpt-bench', messages: short, temperature: 0 });
      return 1;
    },
  },
  {
    name: 'anthropic messages.create',
    unit: 'call',
    repeat: CALLS,
    once: async (which) => {
      await (which === 'plain' ? plainAnthropic : tracedAnthropic).messages.create({ model: 'claude-bench', max_tokens: 100, messages: short });
      return 1;
    },
  },
  {
    name: 'openai chat stream (stream_options set)',
    unit: 'chunk',
    repeat: STREAMS,
    once: async (which) => {
      let chunks = 0;
      const client = which === 'plain' ? plainOpenAI : tracedOpenAI;
      for await (const _ of await client.chat.completions.create({ model: 'gpt-bench', messages: long, stream: true, stream_options: { include_usage: true } })) chunks++;
      return chunks;
    },
  },
  {
    name: 'openai chat stream (usage asked by the wrapper)',
    unit: 'chunk',
    repeat: STREAMS,
    once: async (which) => {
      let chunks = 0;
      const client = which === 'plain' ? plainOpenAI : tracedOpenAI;
      for await (const _ of await client.chat.completions.create({ model: 'gpt-bench', messages: long, stream: true })) chunks++;
      return chunks;
    },
  },
  {
    name: 'anthropic messages stream',
    unit: 'chunk',
    repeat: STREAMS,
    once: async (which) => {
      let chunks = 0;
      const client = which === 'plain' ? plainAnthropic : tracedAnthropic;
      for await (const _ of await client.messages.create({ model: 'claude-bench', max_tokens: 100, messages: long, stream: true })) chunks++;
      return chunks;
    },
  },
];

function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * One round: unwrapped and wrapped units alternate one by one (so both meet the same machine
 * state), each unit's process CPU counted to its side. Returns us per unit for each side.
 */
async function round(workload: Workload): Promise<{ plain: number; traced: number; units: number }> {
  const cpu = { plain: 0, traced: 0 };
  const units = { plain: 0, traced: 0 };
  for (let i = 0; i < workload.repeat; i++) {
    for (const which of i % 2 === 0 ? (['plain', 'traced'] as const) : (['traced', 'plain'] as const)) {
      const start = cpuUs();
      units[which] += await workload.once(which);
      cpu[which] += cpuUs() - start;
    }
  }
  return { plain: cpu.plain / units.plain, traced: cpu.traced / units.traced, units: units.traced };
}

printHeader('LLM client wrappers: CPU over the unwrapped client', { transport: process.env.BENCH_TRANSPORT === 'http' ? 'http' : 'replayed', validatePayloads, calls: CALLS, streams: STREAMS, rounds: ROUNDS, chunksPerStream: `~${WORDS + 3}` });
const rows: string[][] = [];
await tracer.withInstance(async () => {
  for (const workload of workloads) {
    for (let i = 0; i < 20; i++) await workload.once(i % 2 === 0 ? 'plain' : 'traced'); // warm-up
    const overheads: number[] = [];
    const plain: number[] = [];
    const traced: number[] = [];
    let units = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const result = await round(workload);
      plain.push(result.plain);
      traced.push(result.traced);
      overheads.push(result.traced - result.plain);
      units = result.units;
    }
    const overhead = median(overheads);
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
  'transport "replayed": each distinct answer fetched once from the fake server, then replayed from memory through the clients\' `fetch` option (BENCH_TRANSPORT=http for real sockets)',
  'CPU of this process only (the fake server runs in a child process); unwrapped and wrapped calls alternate one by one; overhead = median over rounds of (wrapped - unwrapped)',
  'a streamed chunk\'s figure includes the span of its call spread over its ~200 chunks',
  '"usage asked by the wrapper": the request gets stream_options.include_usage, so the client also parses `"usage":null` in every chunk and one chunk more, which the wrapper hides',
]);
await tracer.shutdown();
child.kill();
