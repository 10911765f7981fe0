import t from 'tap';
import { z } from 'zod';
import { PayloadValidationError, defineSpanType } from '../../src/tracing/span-types.js';
import { describeIssues } from '../../src/util/zod-issues.js';

t.test('defineSpanType() keeps the definition and builds its span_type_schemas entry once', async (t) => {
  const dataRisk = { action_profile: { external_communication: 'allowed' as const } };
  const llm = defineSpanType({
    name: 'agent:llm',
    title: 'LLM call',
    description: 'One model call',
    template: '{{model}}',
    dataRisk,
    params: z.object({ model: z.string().describe('the model'), temperature: z.number().optional() }),
    result: z.object({ text: z.string() }),
  });
  t.equal(llm.name, 'agent:llm');
  const entry = llm.schemaEntry();
  t.equal(llm.schemaEntry(), entry, 'computed once');
  t.match(entry, {
    name: 'agent:llm',
    title: 'LLM call',
    description: 'One model call',
    template: '{{model}}',
    data_risk: dataRisk,
    params_schema: { type: 'object', properties: { model: { type: 'string', description: 'the model' }, temperature: { type: 'number' } }, required: ['model'] },
    result_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  });
});

t.test('defineSpanType() without schemas registers "any object" params and no result schema', async (t) => {
  const entry = defineSpanType({ name: 'agent:tool' }).schemaEntry();
  t.same(entry, { name: 'agent:tool', params_schema: { type: 'object' } });
});

t.test('defineSpanType() describes what JSON Schema cannot express as "anything"', async (t) => {
  const entry = defineSpanType({
    name: 'odd',
    params: z.object({ when: z.date(), size: z.string().transform((text) => text.length) }),
  }).schemaEntry();
  t.match(entry.params_schema, { properties: { when: {}, size: { type: 'string' } } });
  const foreign = { safeParse: () => ({ success: true }) } as unknown as z.ZodType;
  t.same(defineSpanType({ name: 'foreign', params: foreign }).schemaEntry().params_schema, { type: 'object' }, 'a schema zod cannot convert');
});

t.test('defineSpanType() rejects a bad definition, naming the key', async (t) => {
  t.throws(() => defineSpanType(undefined as never), { code: 'ERR_PREFACTOR_CONFIG', message: /Expected `definition` to be an object/ });
  t.throws(() => defineSpanType('name' as never), { message: /Expected the defineSpanType options to be an object/ });
  t.throws(() => defineSpanType({ name: '' }), { message: 'Expected `name` to be a non-empty string, got `""` (string)' });
  t.throws(() => defineSpanType({ name: 'x', title: 1 as never }), { message: /Expected `title` to be a string/ });
  t.throws(() => defineSpanType({ name: 'x', params: {} as never }), { message: /Expected `params` to be a zod schema/ });
  t.throws(() => defineSpanType({ name: 'x', result: null as never }), { message: /Expected `result` to be a zod schema/ });
  t.throws(() => defineSpanType({ name: 'x', dataRisk: { action_profile: { read_data: 'maybe' } } as never }), { message: /Expected `dataRisk` to be a data-risk profile/ });
  t.throws(() => defineSpanType({ name: 'x', param: z.object({}) } as never), { message: /Unknown option `param` for defineSpanType/ });
  t.throws(() => defineSpanType({ name: 'x', validate: 'no' as never }), { message: /Expected `validate` to be true or false/ });
});

t.test('PayloadValidationError says which span type and fields, and what to do', async (t) => {
  const parsed = z.object({ model: z.string() }).safeParse({ model: 1 });
  const error = new PayloadValidationError('agent:llm', parsed.error!.issues);
  t.equal(error.name, 'PayloadValidationError');
  t.match(error.message, /^The payload of span type "agent:llm" does not match its params schema: model: .*expected string.*validatePayloads: 'warn'/);
  t.equal(describeIssues(z.string().safeParse(1).error!.issues).startsWith('(root): '), true);
});
