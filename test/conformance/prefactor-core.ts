import t from 'tap';
import { createCore, SpanType, withSpan } from '@prefactor/core';
import type { AgentSpan } from '../../src/models/index.js';
import type { LocalServer } from '../../src/server/index.js';
import { withServer } from '../fixtures/server.js';

/**
 * The official TypeScript SDK (`@prefactor/core`, pinned in devDependencies) against the local
 * server: a client nobody here wrote. Whatever it sends that the API allows, the server must take.
 */

/** Runs a small agent with the official SDK: nested spans, one failing; then shuts it down. */
async function runOfficialAgent(server: LocalServer, agentId: string | undefined, withSchema = true): Promise<void> {
  const core = createCore({
    transportType: 'http',
    httpConfig: {
      apiUrl: server.url,
      apiToken: server.token,
      ...(agentId === undefined ? {} : { agentId }),
      agentIdentifier: 'conformance-1',
      agentName: 'Conformance agent',
      ...(withSchema ? { agentSchema: { external_identifier: 'schema-1', span_schemas: {} } } : {}),
      maxRetries: 0,
      requestTimeout: 10_000,
    },
  } as never);
  core.agentManager.startInstance();
  await withSpan(core.tracer, { name: 'agent', spanType: SpanType.AGENT, inputs: { question: 'weather?' } }, async () => {
    await withSpan(core.tracer, { name: 'plan', spanType: SpanType.LLM, inputs: { prompt: 'plan it' } }, async () => ({ text: 'call the tool' }));
    await withSpan(core.tracer, { name: 'lookup', spanType: SpanType.TOOL, inputs: { city: 'Paris' } }, async () => {
      throw new Error('tool exploded');
    }).catch(() => undefined);
    return { answer: 'sunny' };
  });
  core.agentManager.finishInstance();
  await core.shutdown();
}

/** The stored spans of the one instance, by schema name. */
function spansByName(server: LocalServer): Map<string, AgentSpan> {
  const [instance] = server.instances();
  return new Map(server.spans(instance!.id).map((span) => [span.schema_name, span]));
}

type Test = Parameters<Parameters<typeof t.test>[0] extends (t: infer T) => unknown ? (t: T) => void : never>[0];

function checkTrace(t: Test, server: LocalServer, expectedAgentId: string, started = true): void {
  const instances = server.instances();
  t.equal(instances.length, 1, 'one instance registered');
  const instance = instances[0]!;
  t.match(instance, { agent_id: expectedAgentId, status: 'complete', agent_deployment_id: String });
  t.ok(instance.finished_at, 'finished');
  if (started) t.ok(instance.started_at, 'started');
  const spans = spansByName(server);
  t.same([...spans.keys()].sort(), ['agent', 'llm', 'tool'], 'every span stored');
  const agent = spans.get('agent')!;
  const llm = spans.get('llm')!;
  const tool = spans.get('tool')!;
  t.equal(agent.parent_span_id, null);
  t.equal(llm.parent_span_id, agent.id, 'llm under agent');
  t.equal(tool.parent_span_id, agent.id, 'tool under agent');
  t.equal(agent.status, 'complete');
  t.equal(llm.status, 'complete');
  t.equal(tool.status, 'failed');
  t.match(agent.payload, { name: 'agent', inputs: { question: 'weather?' } });
  t.match(agent.result_payload, { answer: 'sunny' });
  t.match(llm.payload, { name: 'plan', inputs: { prompt: 'plan it' }, outputs: { text: 'call the tool' } });
  t.match(tool.payload, { name: 'lookup', inputs: { city: 'Paris' }, error: { error_type: 'Error', message: 'tool exploded' } });
  t.match(tool.result_payload, { error_type: 'Error', message: 'tool exploded' });
  for (const span of spans.values()) t.ok(span.started_at && span.finished_at, `${span.schema_name} has both timestamps`);
  t.match(instance.span_counts, { total: 3, complete: 2, failed: 1, finished: 3 });
}

t.test('@prefactor/core with an agent id stores the whole trace', async (t) => {
  const server = await withServer(t);
  await runOfficialAgent(server, 'agent-official-1');
  checkTrace(t, server, 'agent-official-1');
});

t.test('@prefactor/core without an agent id (a deployment token) stores the whole trace under the token\'s agent', async (t) => {
  const server = await withServer(t, { token: 'deployment-token', agentId: 'agent-from-token', agentDeploymentId: 'deployment-7' });
  await runOfficialAgent(server, undefined);
  checkTrace(t, server, 'agent-from-token');
  t.equal(server.instances()[0]!.agent_deployment_id, 'deployment-7');
});

t.test('@prefactor/core without an agent id or a schema, on the default dev token, stores the trace under the default agent', async (t) => {
  const server = await withServer(t);
  const registers: string[] = [];
  server.on('request', (info) => info.path.endsWith('/register') && registers.push(String(info.status)));
  // Without a schema the SDK skips the instance start and registers without agent_schema_version.
  await runOfficialAgent(server, undefined, false);
  t.same(registers, ['200']);
  checkTrace(t, server, 'local-agent', false);
  t.equal(server.instances()[0]!.agent_deployment_id, 'local-deployment');
});
