import { PrefactorHttpClient } from 'prefactor-trace/api';

// apiUrl and apiToken default to PREFACTOR_API_URL and PREFACTOR_API_TOKEN.
await using client = new PrefactorHttpClient({ maxRetries: 5 });
const instance = await client.agentInstances.register({
  agent_id: 'my-agent',
  agent_version: { name: 'planner', external_identifier: 'v1' },
  agent_schema_version: { external_identifier: 'v1', span_type_schemas: [] },
});
await client.agentInstances.start(instance.id);
const span = await client.agentSpans.create({
  agent_instance_id: instance.id,
  schema_name: 'agent:llm',
  status: 'active',
  payload: { prompt: 'hi' },
});
await client.agentSpans.finish(span.id, { status: 'complete', result_payload: { text: 'hello' } });
await client.agentInstances.finish(instance.id, { status: 'complete' });
