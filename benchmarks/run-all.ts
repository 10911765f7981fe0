/**
 * Runs every benchmark, each in its own child process (clean RSS per benchmark) with the current
 * Node and loader flags, and prints their tables one after the other.
 *
 * Run: npm run bench   (compiles src/ and benchmarks/ to build/ with tsc, then runs
 *      build/benchmarks/run-all.js: the SDK is measured as users run it, without a TypeScript loader);
 *      on Node 24 after that: npx -y node@24 build/benchmarks/run-all.js.
 *      Under tsx (`node --import tsx benchmarks/run-all.ts`) the figures include the loader's ~30 MB.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { machineLines } from './lib/machine.js';

// `.ts` under tsx; `.js` when the benchmarks were compiled with tsc (to measure without the loader).
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const BENCHMARKS = ['overhead', 'throughput', 'outage', 'large-payloads', 'payload-shapes', 'llm-wrappers'].map((name) => `${name}${EXT}`);

console.log('# prefactor-trace benchmarks');
for (const line of machineLines()) console.log(line);

const failed: string[] = [];
for (const file of BENCHMARKS) {
  const script = fileURLToPath(new URL(`./${file}`, import.meta.url));
  const started = performance.now();
  const child = spawn(process.execPath, [...process.execArgv, script], { stdio: 'inherit' });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (code === 0) console.log(`(${file} took ${seconds} s)`);
  else {
    console.log(`(${file} FAILED: exit code ${String(code)}${signal ? `, signal ${signal}` : ''}, after ${seconds} s)`);
    failed.push(file);
  }
}
if (failed.length > 0) {
  console.log(`\nFailed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
