import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AgentInstance, AgentSpan } from '../models/index.js';
import { apiPath, PATHS } from '../models/routes.js';
import { startLocalServer } from './index.js';
import { replayJournal } from './journal.js';
import { renderInstanceList } from './list.js';
import { Store } from './store.js';
import { buildSpanTree, renderSpanTree } from './tree.js';

/** Where the CLI reads and writes; the real process by default, a fake in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal (colour is used only then, and never with `NO_COLOR`). */
  isTTY: boolean;
  /** Resolves when the `dev` server should stop (SIGINT/SIGTERM). */
  waitForStop(): Promise<void>;
}

const USAGE = `Usage: prefactor-trace <command> [options]

Commands:
  dev    Run the local Prefactor-compatible server
  view   Print the span tree of an agent instance, or list the instances (--list)

Run \`prefactor-trace <command> --help\` for a command's options.
`;

const DEV_USAGE = `Usage: prefactor-trace dev [--port 4318] [--data .prefactor] [--token dev-token] [--agent-id ID] [--memory]

Runs the local Prefactor-compatible API server on 127.0.0.1 until Ctrl-C.

Options:
  --port <n>       TCP port (default 4318; 0 picks a free one)
  --data <dir>     Directory of the journal (data.ndjson), replayed on start (default .prefactor)
  --memory         Keep nothing on disk
  --token <t>      The bearer token clients must send (default dev-token)
  --agent-id <id>  Make the token deployment-scoped to this agent: a register naming another
                   agent is 403 (default: account-wide; a register without agent_id gets local-agent)
  --deployment-id <id>  The deployment of the token's agent (default local-deployment)
  --faults <json>  Fault injection, e.g. '{"errorRate":0.1,"latencyMs":50}'
  --seed <n>       Seed of the fault injection (default 1)
`;

const VIEW_USAGE = `Usage: prefactor-trace view [instanceId] [--list] [--url URL] [--token T] [--data DIR] [--json]

Prints the span tree of an agent instance (the newest by default), or with --list the agent instances
(newest first), from a running server or from a data directory's journal.

Options:
  --url <url>    Server to read from (default $PREFACTOR_API_URL or http://127.0.0.1:4318)
  --token <t>    Bearer token (default $PREFACTOR_API_TOKEN or dev-token)
  --data <dir>   Read the journal in this directory instead of a server
  --list         List the agent instances: status, id, agent, start, duration, spans, failed
  --json         Print {instance, spans} with the spans as a tree (with --list: the instances), as JSON
  --timeout <ms> How long to wait for the server (default 10000)
`;

/** A failure the CLI reports as one line and exit code 1. */
class CliError extends Error {}

/** Runs the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'dev') return await dev(rest, io);
    if (command === 'view') return await view(rest, io);
    if (command === '--help' || command === '-h' || command === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    throw new CliError(command === undefined ? 'No command given: run `prefactor-trace --help`' : `Unknown command ${JSON.stringify(command)}: run \`prefactor-trace --help\``);
  } catch (error) {
    // parseArgs adds a second sentence on how to pass positionals that start with '-': keep the first.
    const message = (error as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
    io.stderr(`prefactor-trace: ${message}\n`);
    return 1;
  }
}

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(args: readonly string[], options: T) {
  return parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
}

async function dev(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    port: { type: 'string' },
    data: { type: 'string' },
    memory: { type: 'boolean' },
    token: { type: 'string' },
    'agent-id': { type: 'string' },
    'deployment-id': { type: 'string' },
    faults: { type: 'string' },
    seed: { type: 'string' },
  });
  if (values.help) {
    io.stdout(DEV_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`Unexpected argument ${JSON.stringify(positionals[0])}: run \`prefactor-trace dev --help\``);
  const port = integer('--port', values.port ?? '4318');
  const seed = integer('--seed', values.seed ?? '1');
  let faults: unknown;
  try {
    faults = values.faults === undefined ? undefined : JSON.parse(values.faults);
  } catch {
    throw new CliError(`--faults is not valid JSON: pass an object such as '{"errorRate":0.1}'`);
  }
  const dataFile = values.memory ? undefined : join(values.data ?? '.prefactor', 'data.ndjson');
  const server = await startLocalServer({
    port,
    token: values.token ?? 'dev-token',
    agentId: values['agent-id'],
    agentDeploymentId: values['deployment-id'],
    dataFile,
    faults: faults as never,
    seed,
  });
  const scope = values['agent-id'] === undefined ? 'account-wide' : 'deployment-scoped';
  io.stdout(
    `prefactor-trace local server listening on ${server.url}\n` +
      `${dataFile ? `Journal: ${dataFile} (${server.instances().length} agent instances replayed)` : 'In memory: nothing is kept on disk'}\n` +
      `Token: ${scope}, agent ${server.agentId}, deployment ${server.agentDeploymentId}\n` +
      `Point the SDK at it (PREFACTOR_AGENT_ID is optional: without it the token decides the agent):\n` +
      `export PREFACTOR_API_URL=${shellWord(server.url)}\n` +
      `export PREFACTOR_API_TOKEN=${shellWord(server.token)}\n` +
      `export PREFACTOR_AGENT_ID=${shellWord(server.agentId)}\n` +
      `View the newest trace: npx prefactor-trace view --url ${server.url}\n` +
      `Open the viewer: ${server.url}/#token=${encodeURIComponent(server.token)}\n` +
      `Press Ctrl-C to stop.\n`,
  );
  await io.waitForStop();
  await server.close();
  io.stdout('Stopped.\n');
  return 0;
}

/**
 * `text` as one POSIX shell word: as it is when it holds no character a shell treats specially,
 * else in single quotes, so that an `export` line pasted alone sets exactly `text` (a token such
 * as `a b&c` would otherwise run `c` in the background and export `a` only).
 */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

function integer(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new CliError(`${flag} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

async function view(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    url: { type: 'string' },
    token: { type: 'string' },
    data: { type: 'string' },
    json: { type: 'boolean' },
    list: { type: 'boolean' },
    timeout: { type: 'string' },
  });
  if (values.help) {
    io.stdout(VIEW_USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new CliError(`Expected at most one instance id, got ${positionals.length}: run \`prefactor-trace view --help\``);
  if (values.list && positionals.length > 0) throw new CliError('--list takes no instance id: run `prefactor-trace view --list`, then `prefactor-trace view <id>`');
  const wanted = positionals[0];
  const timeoutMs = integer('--timeout', values.timeout ?? '10000');
  const source = values.data === undefined ? fromServer(values.url, values.token, io.env, timeoutMs) : fromJournal(values.data);
  const color = io.isTTY && !io.env.NO_COLOR;
  if (values.list) {
    const instances = await source.list();
    io.stdout(values.json ? `${JSON.stringify(instances, null, 2)}\n` : renderInstanceList(instances, { color }));
    return 0;
  }
  const { instance, spans } = await source.one(wanted);
  const tree = buildSpanTree(spans);
  if (values.json) {
    io.stdout(`${JSON.stringify({ instance, spans: tree }, null, 2)}\n`);
  } else {
    io.stdout(renderSpanTree(tree, { instance, color }));
  }
  return 0;
}

/** Where `view` reads: `one()` an instance (the newest without an id) with its spans, or `list()` them all. */
interface Source {
  one(instanceId: string | undefined): Promise<{ instance: AgentInstance; spans: AgentSpan[] }>;
  list(): Promise<AgentInstance[]>;
}

function fromJournal(dir: string): Source {
  const file = join(dir, 'data.ndjson');
  const load = async (): Promise<Store> => {
    const store = new Store();
    await replayJournal(file, (entry) => store.replay(entry));
    return store;
  };
  return {
    list: async () => (await load()).instances(),
    one: async (instanceId) => {
      const store = await load();
      const instance = instanceId === undefined ? store.instances()[0] : store.instance(instanceId);
      if (!instance) throw new CliError(instanceId === undefined ? `No agent instances in ${file}: run an agent against \`prefactor-trace dev\` first` : `No agent instance ${instanceId} in ${file}`);
      return { instance, spans: store.spans(instance.id)! };
    },
  };
}

function fromServer(url: string | undefined, token: string | undefined, env: NodeJS.ProcessEnv, timeoutMs: number): Source {
  const base = (url ?? (env.PREFACTOR_API_URL || 'http://127.0.0.1:4318')).replace(/\/+$/, '');
  // Credentials in the URL (`http://user:pass@host`) never reach a message.
  const credentials = /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/i.exec(base)?.[1];
  const hide = (text: string): string => (credentials ? text.split(credentials).join('***') : text);
  const shown = hide(base);
  const bearer = token ?? (env.PREFACTOR_API_TOKEN || 'dev-token');
  const get = async <T>(path: string): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${bearer}` }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const { cause } = error as { cause?: { code?: string; message?: string } };
      const reason = hide(cause?.code ?? cause?.message ?? (error as Error).message);
      throw new CliError(`Could not reach ${shown} (${reason}): start it with \`prefactor-trace dev\`, or pass --url or --data`);
    }
    const body = (await response.json().catch(() => ({}))) as { status?: string; details?: unknown; code?: string; message?: string };
    if (!response.ok || body.status !== 'success') {
      throw new CliError(`${shown} answered GET ${path} with ${response.status}${body.code ? ` ${body.code}` : ''}${body.message ? `: ${body.message}` : ''}`);
    }
    return body.details as T;
  };
  return {
    list: () => get<AgentInstance[]>(apiPath(PATHS.agentInstances)),
    one: async (instanceId) => {
      let instance: AgentInstance | undefined;
      if (instanceId === undefined) {
        instance = (await get<AgentInstance[]>(apiPath(PATHS.agentInstances)))[0];
        if (!instance) throw new CliError(`No agent instances on ${shown} yet: run an agent against it first`);
      } else {
        instance = await get<AgentInstance>(apiPath(PATHS.agentInstance(encodeURIComponent(instanceId))));
      }
      const spans = await get<AgentSpan[]>(`${apiPath(PATHS.agentSpans)}?agent_instance_id=${encodeURIComponent(instance.id)}`);
      return { instance, spans };
    },
  };
}
