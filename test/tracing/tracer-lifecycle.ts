import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../fixtures/tracer-child.ts', import.meta.url));

/** Runs the child in `mode` (with tap's loaders), sending SIGTERM once it says `ready`. */
async function runChild(mode: string): Promise<{ lines: string[]; code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [...process.execArgv, CHILD, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (line === 'ready') child.kill('SIGTERM');
    }
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { lines, code, signal };
}

t.test('beforeExit shuts the tracer down when the program forgets to', async (t) => {
  const { lines, code } = await runChild('before-exit');
  t.same(lines, ['finishInstance complete', 'shutdown spans=2']);
  t.equal(code, 0);
});

t.test('handleSignals: SIGTERM shuts down, then the default behaviour (exit by the signal) proceeds', async (t) => {
  const { lines, signal } = await runChild('signal');
  t.same(lines, ['ready', 'finishInstance complete', 'shutdown spans=2']);
  t.equal(signal, 'SIGTERM');
});
