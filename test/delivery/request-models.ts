import t from 'tap';
import { BodyPool } from '../../src/delivery/bulk-body.js';
import { z } from 'zod';
import {
  BULK_TYPES,
  CREATE,
  INSTANCE_FINISH,
  REGISTER,
  SPAN_FINISH,
  START,
} from '../../src/delivery/operations.js';
import type { OperationKind } from '../../src/delivery/operations.js';
import {
  BulkItemType,
  BulkRequest,
  CreateAgentSpanDetails,
  CreateAgentSpanRequest,
  FinishAgentInstanceRequest,
  FinishAgentSpanRequest,
  RegisterAgentInstanceRequest,
  StartAgentInstanceRequest,
} from '../../src/models/index.js';
import { openSpan, sinkFor, startInstance, withProxy } from '../fixtures/delivery.js';
import { bulkItem, operation, singleRequest, TIMESTAMP } from '../fixtures/operations.js';
import type { OperationFields, TestOperation } from '../fixtures/operations.js';
import { withServer } from '../fixtures/server.js';

// The delivery engine builds its request bodies by hand (string concatenation around payloads
// serialised once). This guard parses every body it can build with the zod request models, strictly
// (no key the model does not know), so the bodies and the models cannot drift apart.

/** The model of each single request body, and the path parameter its bulk item carries instead. */
const MODELS: Record<(typeof BULK_TYPES)[number], { model: z.ZodObject; pathParam?: string }> = {
  'agent_instances/register': { model: RegisterAgentInstanceRequest },
  'agent_instances/start': { model: StartAgentInstanceRequest, pathParam: 'agent_instance_id' },
  'agent_instances/finish': { model: FinishAgentInstanceRequest, pathParam: 'agent_instance_id' },
  'agent_spans/create': { model: CreateAgentSpanRequest },
  'agent_spans/finish': { model: FinishAgentSpanRequest, pathParam: 'agent_span_id' },
};

/** Keys of `value` that `model` does not declare, at every level of nested object models. */
function unknownKeys(model: z.ZodObject, value: Record<string, unknown>, path = ''): string[] {
  const shape = model.shape as Record<string, z.ZodType>;
  const extra: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (!(key in shape)) extra.push(`${path}${key}`);
    else if (key === 'details') extra.push(...unknownKeys(CreateAgentSpanDetails, inner as Record<string, unknown>, `${path}details.`));
  }
  return extra;
}

/** Problems of a single request body of bulk type `type`; none when it fits its model exactly. */
function singleProblems(type: (typeof BULK_TYPES)[number], body: Record<string, unknown>): string[] {
  const { model } = MODELS[type];
  const parsed = model.safeParse(body);
  return [...(parsed.success ? [] : [`${type}: ${parsed.error.message}`]), ...unknownKeys(model, body).map((key) => `${type}: unknown key ${key}`)];
}

/** Problems of a bulk item: its `_type`, then its fields (the path parameter aside) as the single body. */
function itemProblems(item: Record<string, unknown>): string[] {
  const type = BulkItemType.safeParse(item._type);
  if (!type.success) return [`unknown _type ${String(item._type)}`];
  const { _type, ...rest } = item;
  const pathParam = MODELS[type.data].pathParam;
  const problems: string[] = [];
  if (pathParam !== undefined) {
    if (typeof rest[pathParam] !== 'string' || rest[pathParam] === '') problems.push(`${type.data}: no ${pathParam}`);
    delete rest[pathParam];
  }
  return [...problems, ...singleProblems(type.data, rest)];
}

/** Problems of a bulk body: the envelope (BulkRequest, strictly), then each item. */
function bulkProblems(body: string): string[] {
  const value = JSON.parse(body) as Record<string, unknown>;
  const envelope = BulkRequest.safeParse(value);
  const problems = envelope.success ? [] : [`envelope: ${envelope.error.message}`];
  for (const key of Object.keys(value)) if (key !== 'items' && key !== 'idempotency_key') problems.push(`envelope: unknown key ${key}`);
  for (const item of (value.items ?? []) as Record<string, unknown>[]) problems.push(...itemProblems(item));
  return problems;
}

const REGISTRATION = JSON.stringify({
  id: 'inst-1',
  agent_id: 'agent-1',
  agent_version: { name: 'v', external_identifier: 'v1' },
  agent_schema_version: { external_identifier: 's1', span_type_schemas: [{ name: 'agent:x', params_schema: {} }] },
  environment_id: 'env-1',
  purpose: 'a "quoted" purpose',
});

/** Every shape of every kind the engine builds: with and without the optional parts. */
function everyOperation(): TestOperation[] {
  let keys = 0;
  const make = (kind: OperationKind, fields: OperationFields = {}): TestOperation => operation(kind, fields, { id: 'id-1/\u00e9"', key: `key-0123456789-${++keys}` });
  return [
    make(REGISTER, { payload: REGISTRATION }),
    make(REGISTER, { payload: JSON.stringify({ id: 'i', agent_id: 'a', agent_version: {}, agent_schema_version: {} }) }),
    make(START),
    ...(['complete', 'failed', 'cancelled'] as const).map((status) => make(INSTANCE_FINISH, { status })),
    make(CREATE, { schemaName: 'agent:x', payload: '{"a":[1,"\\n"]}' }),
    make(CREATE, { schemaName: 'agent:"odd"\n', payload: '{}', parentId: 'parent-1' }),
    // A create carrying its span's finish (coalesced), with and without a result.
    make(CREATE, { schemaName: 'agent:x', payload: '{}', status: 'complete', finishedAt: TIMESTAMP, result: '{"r":1}' }),
    make(CREATE, { schemaName: 'agent:x', payload: '{}', parentId: 'p', status: 'failed', finishedAt: TIMESTAMP }),
    make(SPAN_FINISH, { status: 'complete' }),
    make(SPAN_FINISH, { status: 'cancelled', result: '{"error":{"name":"AbortError"}}' }),
  ];
}

t.test('every bulk item and single request the engine builds fits its zod request model exactly', async (t) => {
  const ops = everyOperation();
  t.same(new Set(ops.map((op) => op.kind)).size, BULK_TYPES.length, 'every kind');
  for (const op of ops) {
    t.same(itemProblems(JSON.parse(bulkItem(op)) as Record<string, unknown>), [], `bulk item ${BULK_TYPES[op.kind]}`);
    const { body } = singleRequest(op);
    t.same(singleProblems(BULK_TYPES[op.kind], JSON.parse(body) as Record<string, unknown>), [], `single ${BULK_TYPES[op.kind]}`);
  }
  const body = new BodyPool(1024 * 1024, 1).body();
  for (const op of ops) t.ok(body.add(bulkItem(op)));
  t.same(bulkProblems(body.finish('request-key-0123456789').toString('utf8')), [], 'a bulk body of them all');
});

t.test('the guard catches a body that drifts from its model', async (t) => {
  t.match(bulkProblems('{"items":[{"_type":"agent_spans/finish","idempotency_key":"key-0123456789","agent_span_id":"s","status":"done"}]}'), [
    /agent_spans\/finish: .*status/s,
  ]);
  t.same(itemProblems({ _type: 'agent_instances/start', idempotency_key: 'key-0123456789', agent_instance_id: 'i', at: TIMESTAMP }), [
    'agent_instances/start: unknown key at',
  ]);
  t.same(itemProblems({ _type: 'agent_spans/create', idempotency_key: 'key-0123456789', details: { agent_instance_id: 'i', schema_name: 'x', status: 'active', name: 'n' } }), [
    'agent_spans/create: unknown key details.name',
  ]);
  t.same(itemProblems({ _type: 'agent_spans/finish', idempotency_key: 'key-0123456789' }), ['agent_spans/finish: no agent_span_id']);
  t.same(itemProblems({ _type: 'agent_spans/update', idempotency_key: 'key-0123456789' }), ['unknown _type agent_spans/update']);
  t.match(bulkProblems('{"items":[],"extra":1}'), [/envelope: /, 'envelope: unknown key extra']);
});

t.test('every body the engine sends over the wire, bulk and single, fits its model exactly', async (t) => {
  const server = await withServer(t);
  const proxy = await withProxy(t, server.url, () => undefined);
  for (const batching of [true, false]) {
    const { sink } = sinkFor(t, proxy.url, { batching });
    const instanceId = startInstance(sink);
    const parent = openSpan(sink, instanceId, undefined, { text: 'caf\u00e9 "quoted"\n' });
    openSpan(sink, instanceId, parent.id, { n: 1 }).end('complete', { ok: true });
    t.equal(await sink.flush(5000), true);
    parent.end('failed', { error: 'x' });
    openSpan(sink, instanceId, undefined, {}).end('cancelled');
    sink.finishInstance(instanceId, 'complete', new Date().toISOString());
    t.equal(await sink.flush(5000), true);
  }
  const problems: string[] = [];
  const types = new Set<string>();
  for (const request of proxy.requests) {
    if (request.path === '/api/v1/bulk') {
      problems.push(...bulkProblems(request.body));
      for (const item of (JSON.parse(request.body) as { items: { _type: string }[] }).items) types.add(`bulk ${item._type}`);
      continue;
    }
    const type = singleType(request.path);
    types.add(`single ${type}`);
    problems.push(...singleProblems(type, JSON.parse(request.body) as Record<string, unknown>));
  }
  t.same(problems, []);
  t.same([...types].sort(), [...BULK_TYPES.map((type) => `bulk ${type}`), ...BULK_TYPES.map((type) => `single ${type}`)].sort());
});

/** The bulk type a single request path stands for. */
function singleType(path: string): (typeof BULK_TYPES)[number] {
  if (path === '/api/v1/agent_instance/register') return 'agent_instances/register';
  if (path === '/api/v1/agent_spans') return 'agent_spans/create';
  const [, resource, , action] = /^\/api\/v1\/(agent_instance|agent_spans)\/([^/]+)\/(start|finish)$/.exec(path) ?? [];
  if (resource === 'agent_instance') return action === 'start' ? 'agent_instances/start' : 'agent_instances/finish';
  if (resource === 'agent_spans' && action === 'finish') return 'agent_spans/finish';
  throw new Error(`unexpected path ${path}`);
}
