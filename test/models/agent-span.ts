import t from 'tap';
import { AgentSpan, CreateAgentSpanDetails, CreateAgentSpanRequest, FinishAgentSpanRequest, SpanControl } from '../../src/models/agent-span.js';
import { spanSample } from '../fixtures/wire-samples.js';

t.test('AgentSpan parses the API shape, defaults payload, keeps extra fields', async (t) => {
  const { payload: _, ...withoutPayload } = spanSample;
  const parsed = AgentSpan.parse({ ...withoutPayload, new_field: true });
  t.same(parsed.payload, {});
  t.equal((parsed as Record<string, unknown>).new_field, true);
  t.notOk(AgentSpan.safeParse({ ...spanSample, status: 'done' }).success);
  t.notOk(AgentSpan.safeParse({ ...spanSample, schema_name: undefined }).success);
});

t.test('CreateAgentSpanDetails requires instance, schema name and status', async (t) => {
  const details = CreateAgentSpanDetails.parse({ agent_instance_id: 'i', schema_name: 's', status: 'active', finished_at: new Date(0) });
  t.equal(details.finished_at, '1970-01-01T00:00:00.000Z');
  t.notOk(CreateAgentSpanDetails.safeParse({ agent_instance_id: 'i', schema_name: 's' }).success);
  t.notOk(CreateAgentSpanDetails.safeParse({ agent_instance_id: 'i', schema_name: 's', status: 'active', payload: 'x' }).success);
  t.ok(CreateAgentSpanRequest.safeParse({ details: { agent_instance_id: 'i', schema_name: 's', status: 'pending' }, idempotency_key: '12345678' }).success);
  t.notOk(CreateAgentSpanRequest.safeParse({ details: {} }).success);
});

t.test('FinishAgentSpanRequest and SpanControl parse or reject', async (t) => {
  t.ok(FinishAgentSpanRequest.safeParse({ status: 'complete', result_payload: { ok: true } }).success);
  t.notOk(FinishAgentSpanRequest.safeParse({ status: 'pending' }).success);
  t.same(SpanControl.parse({ terminate: true }), { terminate: true });
  t.notOk(SpanControl.safeParse({ reason: 'x' }).success);
});
