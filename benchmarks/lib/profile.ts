import { writeFileSync } from 'node:fs';

/**
 * With BENCH_CPU_PROF=<file.cpuprofile> set, profiles only the measured part of a benchmark (not
 * start-up and module loading, which `--cpu-prof` would include); otherwise does nothing. Open the
 * file in Chrome DevTools (Performance) or VS Code.
 */
export async function startProfile(): Promise<() => Promise<void>> {
  const file = process.env.BENCH_CPU_PROF;
  if (!file) return async () => {};
  // Loaded only when profiling: the inspector is no part of a user's process (about 2-3 MB of RSS).
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_PROF_INTERVAL_US ?? 250) });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.error(`CPU profile of the measured part written to ${file}`);
  };
}
