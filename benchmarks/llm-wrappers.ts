/**
 * CPU cost of `wrapOpenAI` / `wrapAnthropic`, in us per call and per streamed chunk: the same calls
 * through an unwrapped and a wrapped client of the fake model server (run in a child process, so
 * its CPU is not counted), rounds alternating, median over the rounds. A call's CPU is the
 * process's user+system time over the round divided by the calls. Targets: <= 20 us per
 * non-streamed call, <= 2 us per streamed chunk.
 *
 * Run: node --import tsx benchmarks/llm-wrappers.ts   (BENCH_CALLS, BENCH_STREAMS, BENCH_ROUNDS)
 *
 * CPU time of a few microseconds is lost in the noise of a loaded machine; callgrind instructions
 * are not. `BENCH_ONLY=plain|traced` runs one side of one workload (`BENCH_WORKLOAD`, a part of its
 * name; default the first) `BENCH_CALLS` times after a warm-up, and prints nothing:
 *
 *   npx tsc -p tsconfig.bench.json
 *   BENCH_ONLY=traced BENCH_CALLS=500 valgrind --tool=callgrind node --single-threaded build/benchmarks/llm-wrappers.js
 *
 * ((2N run - N run) / N for `traced`) - (the same for `plain`) = the wrapper's instructions per call.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Tracer } from '../src/index.js';
import { wrapAnthropic } from '../src/integrations/anthropic/index.js';
import { wrapOpenAI } from '../src/integrations/openai/index.js';
import { formatNumber, median, printHeader, printNotes, printTable } from './lib/machine.js';
import { NoopSink, clearPrefactorEnv } from './lib/noop-sink.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 300);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WORDS = 200; // the echoed answer: ~200 chunks per stream

clearPrefactorEnv();

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

const openaiClient = (which: 'plain' | 'traced') => (which === 'plain' ? plainOpenAI : tracedOpenAI);
const anthropicClient = (which: 'plain' | 'traced') => (which === 'plain' ? plainAnthropic : tracedAnthropic);

/** A workload of one non-streamed call, `CALLS` times a round. */
function called(name: string, call: (which: 'plain' | 'traced') => Promise<unknown>): Workload {
  return {
    name,
    unit: 'call',
    repeat: CALLS,
    once: async (which) => {
      await call(which);
      return 1;
    },
  };
}

/** A workload that reads a whole stream, `STREAMS` times a round; its unit is the chunk. */
function streamed(name: string, open: (which: 'plain' | 'traced') => Promise<AsyncIterable<unknown>>): Workload {
  return {
    name,
    unit: 'chunk',
    repeat: STREAMS,
    once: async (which) => {
      let chunks = 0;
      for await (const _ of await open(which)) chunks++;
      return chunks;
    },
  };
}

const workloads: Workload[] = [
  called('openai chat.completions.create', (which) => openaiClient(which).chat.completions.create({ model: 'gpt-bench', messages: short, temperature: 0 })),
  called('anthropic messages.create', (which) => anthropicClient(which).messages.create({ model: 'claude-bench', max_tokens: 100, messages: short })),
  streamed('openai chat stream (stream_options set)', (which) =>
    openaiClient(which).chat.completions.create({ model: 'gpt-bench', messages: long, stream: true, stream_options: { include_usage: true } }),
  ),
  streamed('openai chat stream (usage asked by the wrapper)', (which) => openaiClient(which).chat.completions.create({ model: 'gpt-bench', messages: long, stream: true })),
  streamed('anthropic messages stream', (which) => anthropicClient(which).messages.create({ model: 'claude-bench', max_tokens: 100, messages: long, stream: true })),
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

/** `BENCH_ONLY`: one side of one workload, for callgrind (see the top of this file). */
async function runOneSide(which: 'plain' | 'traced'): Promise<void> {
  const pattern = process.env.BENCH_WORKLOAD ?? '';
  const workload = workloads.find((candidate) => candidate.name.includes(pattern));
  if (workload === undefined) throw new Error(`No workload matches BENCH_WORKLOAD=${pattern}`);
  await tracer.withInstance(async () => {
    for (let i = 0; i < 200; i++) await workload.once(which); // warm-up: answers recorded, code compiled
    for (let i = 0; i < workload.repeat; i++) await workload.once(which);
  });
}

const only = process.env.BENCH_ONLY;
if (only === 'plain' || only === 'traced') {
  await runOneSide(only);
  await tracer.shutdown();
  child.kill();
  process.exit(0);
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
