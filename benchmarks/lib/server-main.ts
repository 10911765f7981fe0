/**
 * A child process that runs the local server for a benchmark, so the server's CPU and memory are
 * not the benchmark's. Started by `startServerProcess()` with an IPC channel: it prints its URL on
 * stdout, sends `{type: 'ready', url, token}`, answers `{type: 'counts', id, instanceId?}` with the
 * number of HTTP requests it received (and the spans it holds for that instance), and exits when its
 * parent disconnects.
 */
import { startLocalServer } from '../../src/server/index.js';
import { startProfile } from './profile.js';

const token = process.env.BENCH_SERVER_TOKEN ?? 'bench-token';
const server = await startLocalServer({ port: 0, token });
let requests = 0;
server.on('request', () => {
  requests++;
});

interface Message {
  readonly type: 'counts' | 'profile-start' | 'profile-stop';
  readonly id: number;
  readonly instanceId?: string;
}

// BENCH_SERVER_CPU_PROF=<file>: profile the server between the parent's profile-start and profile-stop.
let stopProfile: (() => Promise<void>) | undefined;

process.on('message', (message: Message) => {
  void (async () => {
    if (message.type === 'profile-start' && process.env.BENCH_SERVER_CPU_PROF) {
      process.env.BENCH_CPU_PROF = process.env.BENCH_SERVER_CPU_PROF;
      stopProfile = await startProfile();
    } else if (message.type === 'profile-stop') {
      await stopProfile?.();
      stopProfile = undefined;
    }
    const spans = message.instanceId === undefined ? undefined : server.spans(message.instanceId).length;
    const cpu = process.cpuUsage();
    process.send?.({ type: 'counts', id: message.id, requests, spans, cpuUs: cpu.user + cpu.system });
  })();
});

process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});

console.log(server.url);
process.send?.({ type: 'ready', url: server.url, token: server.token });
