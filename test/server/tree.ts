import t from 'tap';
import type { AgentInstance, AgentSpan } from '../../src/models/index.js';
import { buildSpanTree, formatDuration, renderSpanTree } from '../../src/server/tree.js';

const span = (id: string, fields: Partial<AgentSpan> = {}): AgentSpan => ({
  type: 'agent_span',
  id,
  agent_instance_id: 'inst',
  parent_span_id: null,
  schema_name: `s:${id}`,
  status: 'complete',
  payload: {},
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: '2026-01-01T00:00:00.250Z',
  ...fields,
});

const instance: AgentInstance = {
  type: 'agent_instance',
  id: 'inst',
  account_id: 'local',
  agent_id: 'a',
  agent_version_id: 'v',
  environment_id: 'local',
  status: 'complete',
  inserted_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:02.000Z',
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: '2026-01-01T00:00:01.500Z',
  span_counts: { total: 4, pending: 0, active: 1, complete: 2, failed: 1, cancelled: 0, finished: 3 },
};

t.test('buildSpanTree puts children under their parents in start order; orphans are roots', async (t) => {
  const tree = buildSpanTree([
    span('root'),
    span('late', { parent_span_id: 'root', started_at: '2026-01-01T00:00:00.200Z' }),
    span('early', { parent_span_id: 'root', started_at: '2026-01-01T00:00:00.100Z' }),
    span('same', { parent_span_id: 'root', started_at: '2026-01-01T00:00:00.200Z' }),
    span('orphan', { parent_span_id: 'gone', started_at: null, inserted_at: null }),
    span('self', { parent_span_id: 'self', started_at: null, inserted_at: '2026-01-01T00:00:00.050Z' }),
  ]);
  t.same(tree.map((n) => n.id), ['root', 'self', 'orphan']);
  t.same(tree[0]!.children.map((n) => n.id), ['early', 'late', 'same'], 'equal starts keep creation order');
  t.same(JSON.parse(JSON.stringify(tree))[0].children[0].children, [], 'the tree is plain JSON');
  t.same(buildSpanTree([]), []);
});

t.test('buildSpanTree nodes copy every field of their span, extra and __proto__ keys too, without changing it', async (t) => {
  const input = JSON.parse(JSON.stringify(span('root')).replace('{', '{"__proto__":{"polluted":true},"extra":1,')) as AgentSpan;
  const [node] = buildSpanTree([input]);
  t.same(Object.keys(node!), [...Object.keys(input), 'children']);
  t.equal(Object.getPrototypeOf(node), Object.prototype, 'a __proto__ key stays a plain property');
  t.same(Object.getOwnPropertyDescriptor(node, '__proto__')?.value, { polluted: true });
  t.equal(node!.extra, 1);
  t.notOk('children' in input, 'the span itself is not changed');
});

t.test('formatDuration shows ms, seconds and minutes', async (t) => {
  t.equal(formatDuration(-3), '0ms');
  t.equal(formatDuration(850.4), '850ms');
  t.equal(formatDuration(1250), '1.25s');
  t.equal(formatDuration(125_000), '2m05s');
});

t.test('renderSpanTree prints names, statuses, durations and payload summaries, failed marked', async (t) => {
  const tree = buildSpanTree([
    span('root', { schema_name: 'agent:run', payload: { q: 'hi' }, status: 'active', finished_at: null }),
    span('llm', { parent_span_id: 'root', schema_name: 'llm:call', payload: { model: 'm' }, result_payload: { text: 'x'.repeat(100) } }),
    span('tool', { parent_span_id: 'root', schema_name: 'tool:search', status: 'failed', started_at: '2026-01-01T00:00:00.300Z', finished_at: '2026-01-01T00:00:01.800Z', result_payload: { error: 'boom' } }),
    span('odd', { parent_span_id: 'llm', status: 'cancelled', started_at: null, payload: undefined as never }),
  ]);
  const text = renderSpanTree(tree, { instance, payloadChars: 40 });
  t.equal(
    text,
    [
      'Agent instance inst (complete, 1.50s, 4 spans, 1 failed)',
      '└─ agent:run  active  running  {"q":"hi"}',
      `   ├─ llm:call  complete  250ms  {"model":"m"} → {"text":"${'x'.repeat(30)}…`,
      '   │  └─ s:odd  cancelled  ?',
      '   └─ tool:search  ✗ failed  1.50s  → {"error":"boom"}',
      '',
    ].join('\n'),
  );
  t.notMatch(text, /\u001B\[/, 'no colour unless asked');
  const coloured = renderSpanTree(tree, { color: true });
  t.match(coloured, '\u001B[31m✗ failed\u001B[0m');
  t.match(coloured, '\u001B[1;31mtool:search\u001B[0m');
  t.match(coloured, '\u001B[32mcomplete\u001B[0m');
});

t.test('renderSpanTree headers say when there are no spans, no counts, or a termination', async (t) => {
  const { span_counts: _counts, ...bare } = instance;
  t.equal(
    renderSpanTree([], { instance: { ...bare, status: 'cancelled', termination_reason: 'stop' } }),
    'Agent instance inst (cancelled, 1.50s, terminated: stop)\n(no spans)\n',
  );
  t.equal(renderSpanTree([], { instance: { ...instance, span_counts: { ...instance.span_counts!, failed: 0 } } }).split('\n')[0], 'Agent instance inst (complete, 1.50s, 4 spans)');
  t.equal(renderSpanTree(buildSpanTree([span('a'), span('b')])), '├─ s:a  complete  250ms\n└─ s:b  complete  250ms\n');
});
