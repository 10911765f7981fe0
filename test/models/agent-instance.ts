import t from 'tap';
import {
  AgentInstance,
  AgentInstanceSpanCounts,
  AgentSchemaVersionForRegister,
  FinishAgentInstanceRequest,
  RegisterAgentInstanceRequest,
  SpanTypeSchemaForCreate,
  StartAgentInstanceRequest,
} from '../../src/models/agent-instance.js';
import { instanceSample } from '../fixtures/wire-samples.js';

t.test('AgentInstance parses the API shape and keeps extra fields', async (t) => {
  const parsed = AgentInstance.parse({ ...instanceSample, added_later: 'x' });
  t.equal(parsed.id, instanceSample.id);
  t.equal((parsed as Record<string, unknown>).added_later, 'x');
  t.ok(AgentInstance.safeParse({ ...instanceSample, span_counts: undefined, started_at: undefined }).success);
});

t.test('AgentInstance rejects a wrong type, status or timestamp', async (t) => {
  t.notOk(AgentInstance.safeParse({ ...instanceSample, type: 'agent_span' }).success);
  t.notOk(AgentInstance.safeParse({ ...instanceSample, status: 'running' }).success);
  t.notOk(AgentInstance.safeParse({ ...instanceSample, inserted_at: 'now' }).success);
  const { account_id: _, ...missing } = instanceSample;
  t.notOk(AgentInstance.safeParse(missing).success);
  t.notOk(AgentInstanceSpanCounts.safeParse({ total: 1.5, pending: 0, active: 0, complete: 0, failed: 0, cancelled: 0, finished: 0 }).success);
});

t.test('RegisterAgentInstanceRequest takes agent_id optionally (a deployment-scoped token decides it) and checks the rest', async (t) => {
  t.ok(RegisterAgentInstanceRequest.safeParse({ agent_id: 'a', agent_version: {}, agent_schema_version: {} }).success);
  t.ok(RegisterAgentInstanceRequest.safeParse({ agent_version: {}, agent_schema_version: {} }).success);
  t.notOk(RegisterAgentInstanceRequest.safeParse({ agent_id: 1, agent_version: {}, agent_schema_version: {} }).success);
  t.notOk(RegisterAgentInstanceRequest.safeParse({ agent_id: 'a', agent_version: {}, agent_schema_version: {}, idempotency_key: 'short' }).success);
  t.notOk(RegisterAgentInstanceRequest.safeParse({ agent_id: 'a', agent_version: { name: 1 }, agent_schema_version: {} }).success);
});

t.test('span type schemas need a name and a params schema', async (t) => {
  t.ok(SpanTypeSchemaForCreate.safeParse({ name: 'agent:llm', params_schema: {}, title: null }).success);
  t.notOk(SpanTypeSchemaForCreate.safeParse({ name: '', params_schema: {} }).success);
  t.notOk(SpanTypeSchemaForCreate.safeParse({ name: 'x' }).success);
  t.ok(AgentSchemaVersionForRegister.safeParse({ span_schemas: { a: {} }, span_result_schemas: null }).success);
  t.notOk(AgentSchemaVersionForRegister.safeParse({ span_type_schemas: {} }).success);
});

t.test('start and finish requests turn timestamps into ISO', async (t) => {
  t.same(StartAgentInstanceRequest.parse({ timestamp: new Date(0) }), { timestamp: '1970-01-01T00:00:00.000Z' });
  t.same(FinishAgentInstanceRequest.parse({ status: 'failed' }), { status: 'failed' });
  t.notOk(FinishAgentInstanceRequest.safeParse({ status: 'active' }).success);
});
