#!/usr/bin/env node
// `prefactor-trace dev` and `prefactor-trace view`: the commands live in src/server/cli.ts; this file
// only wires them to the real process.
import { once } from 'node:events';
import { runCli } from './server/cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  waitForStop: () => Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]).then(() => undefined),
});
