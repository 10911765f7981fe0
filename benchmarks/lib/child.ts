import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * Runs `script` in a child process with the current Node and loader flags (tsx), and returns the
 * JSON object it prints on the stdout line that starts with `RESULT `, with the time it took.
 * Everything else the child prints to stdout or stderr is passed through.
 */
export async function runChildForResult<T>(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ result: T; exitCode: number | null; exitedAt: number }> {
  // No IPC channel: it would keep the child alive, and some benchmarks measure when it exits by itself.
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  let result: T | undefined;
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice('RESULT '.length)) as T;
      else process.stdout.write(`${line}\n`);
      newline = buffered.indexOf('\n');
    }
  });
  let exitedAt = 0;
  child.on('exit', () => {
    exitedAt = Date.now();
  });
  // 'close' comes after 'exit' and after stdout is drained, so the RESULT line has been read.
  const [exitCode] = (await once(child, 'close')) as [number | null];
  if (result === undefined) throw new Error(`${script} ${args.join(' ')} exited with code ${String(exitCode)} without a RESULT line`);
  return { result, exitCode, exitedAt };
}

/** Prints the line `runChildForResult` looks for. */
export function printResult(result: unknown): void {
  console.log(`RESULT ${JSON.stringify(result)}`);
}
