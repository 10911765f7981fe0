import t from 'tap';
import { InMemorySink } from '../../src/sinks/memory-sink.js';

const registration = (id: string) => ({
  id,
  agentId: 'agent',
  agentVersion: { name: 'v', external_identifier: 'v1' },
  agentSchemaVersion: { span_type_schemas: [] },
  environmentId: undefined,
  purpose: 'test',
});

t.test('InMemorySink records instances and spans with parsed payloads, statuses and parents', async (t) => {
  const sink = new InMemorySink();
  sink.registerInstance(registration('i1'));
  t.equal(sink.instance('i1')?.status, 'pending');
  sink.startInstance('i1', '2026-01-01T00:00:00.000Z');
  sink.spanStarted({ id: 's1', instanceId: 'i1', parentId: undefined, schemaName: 'root', payloadJson: '{"a":1}', startedAt: 't1' });
  sink.spanStarted({ id: 's2', instanceId: 'i1', parentId: 's1', schemaName: 'child', payloadJson: '{}', startedAt: 't2' });
  sink.spanStarted({ id: 's3', instanceId: 'i1', parentId: 'missing', schemaName: 'orphan', payloadJson: '{}', startedAt: 't3' });
  sink.spanEnded({ id: 's2', instanceId: 'i1', status: 'complete', resultPayloadJson: '{"ok":true}', finishedAt: 't4' });
  sink.spanEnded({ id: 'unknown', instanceId: 'i1', status: 'failed', resultPayloadJson: undefined, finishedAt: 't5' });
  sink.finishInstance('i1', 'complete', '2026-01-01T00:00:01.000Z');
  sink.startInstance('unknown', 't');
  sink.finishInstance('unknown', 'failed', 't');
  t.match(sink.instance('i1'), { status: 'complete', purpose: 'test', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z' });
  t.match(sink.span('s1'), { payload: { a: 1 }, status: 'active', resultPayload: undefined, finishedAt: undefined });
  t.match(sink.span('s2'), { parentId: 's1', status: 'complete', resultPayload: { ok: true }, finishedAt: 't4' });
  t.same(sink.tree('i1').map((node) => [node.schemaName, node.children.map((child) => child.schemaName)]), [['root', ['child']], ['orphan', []]]);
  t.equal(sink.spans('other').length, 0);
  t.equal(await sink.flush(), true);
  t.equal(await sink.shutdown(), true);
  sink.clear();
  t.same([sink.spans(), sink.instances()], [[], []]);
});

t.test('InMemorySink.terminate() calls the tracer\'s terminate handler, if any', async (t) => {
  const sink = new InMemorySink();
  sink.terminate('i1', 'ignored without a handler');
  const calls: string[] = [];
  sink.setTerminateHandler((id, reason) => calls.push(`${id}:${reason}`));
  sink.terminate('i1', 'stop');
  t.same(calls, ['i1:stop']);
});
