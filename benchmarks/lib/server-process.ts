import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

// `.ts` under tsx; `.js` when the benchmarks were compiled with tsc (to measure without the loader).
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const SERVER_MAIN = fileURLToPath(new URL(`./server-main${EXT}`, import.meta.url));
const STUB_MAIN = fileURLToPath(new URL(`./stub-server-main${EXT}`, import.meta.url));

/** What the server process reports about itself. */
export interface ServerCounts {
  /** HTTP requests received so far. */
  readonly requests: number;
  /** Spans held for the instance asked about. */
  readonly spans: number | undefined;
  /** CPU time of the server process so far (user + system), in microseconds. */
  readonly cpuUs: number;
}

/** The local server running in a child process (see `server-main.ts`). */
export interface ServerProcess {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  /** HTTP requests the server received so far, and the spans it holds for `instanceId` if given. */
  counts(instanceId?: string): Promise<ServerCounts>;
  /** With BENCH_SERVER_CPU_PROF=<file>, starts or stops profiling the server process (else a no-op). */
  profile(action: 'start' | 'stop'): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the local server in its own process with the current Node and loader flags (tsx); with
 * `stub`, a minimal stand-in that acknowledges everything without validating or storing it (to
 * measure the SDK's own ceiling), see `stub-server-main.ts`.
 */
export async function startServerProcess(kind: 'local' | 'stub' = 'local'): Promise<ServerProcess> {
  const child: ChildProcess = fork(kind === 'stub' ? STUB_MAIN : SERVER_MAIN, [], {
    // A client's own --cpu-prof flags are not passed on (see BENCH_SERVER_CPU_PROF instead).
    execArgv: process.execArgv.filter((flag) => !flag.startsWith('--cpu-prof')),
    env: { ...process.env, BENCH_CPU_PROF: '' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [ready] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`The local server process exited with code ${String(code)} before it was ready`);
    }),
  ])) as [{ type: string; url: string; token: string }];
  let nextId = 0;
  const ask = (type: string, instanceId?: string): Promise<ServerCounts> => {
    const id = ++nextId;
    const reply = new Promise<ServerCounts>((resolve) => {
      const onMessage = (message: { type: string; id: number; requests: number; spans?: number; cpuUs: number }): void => {
        if (message.type !== 'counts' || message.id !== id) return;
        child.off('message', onMessage);
        resolve({ requests: message.requests, spans: message.spans, cpuUs: message.cpuUs });
      };
      child.on('message', onMessage);
    });
    child.send({ type, id, instanceId });
    return reply;
  };
  return {
    url: ready.url,
    token: ready.token,
    pid: child.pid ?? -1,
    counts: (instanceId) => ask('counts', instanceId),
    async profile(action) {
      await ask(`profile-${action}`);
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A URL on 127.0.0.1 where nothing listens (a port the OS just handed out and took back). */
export async function deadUrl(): Promise<string> {
  const { createServer } = await import('node:net');
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
