import t from 'tap';
import { anthropicUsage, chatCompletionsUsage, responsesUsage } from '../../src/integrations/genai.js';
import { chatRecorder, embeddingsRecorder, responsesRecorder } from '../../src/integrations/openai/results.js';
import { countTokensRecorder, messagesRecorder } from '../../src/integrations/anthropic/results.js';
import { requestPayload, resolveWrapOptions } from '../../src/integrations/options.js';

t.test('usage maps to the GenAI names; missing fields are left out', async (t) => {
  t.equal(chatCompletionsUsage(undefined), undefined);
  t.equal(responsesUsage(null), undefined);
  t.equal(anthropicUsage(undefined), undefined);
  t.same(chatCompletionsUsage({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }), { input_tokens: 1, output_tokens: 2, total_tokens: 3 });
  t.same(responsesUsage({ input_tokens: 4, output_tokens: 1, total_tokens: 5 }), { input_tokens: 4, output_tokens: 1, total_tokens: 5 });
  t.same(anthropicUsage({ input_tokens: 5, output_tokens: 2 }), { input_tokens: 5, output_tokens: 2, total_tokens: 7 });
  t.same(anthropicUsage({ input_tokens: 5, cache_read_input_tokens: 10 }), { input_tokens: 15, total_tokens: 15, cache_read_input_tokens: 10 }, 'cache reads are input');
  t.same(anthropicUsage({ output_tokens: 2 }), { output_tokens: 2, total_tokens: 2 });
  t.same(anthropicUsage({}), {});
});

t.test('chat results: refusals, custom tool calls, several choices', async (t) => {
  const recorder = chatRecorder(true, false);
  const result = recorder.result({
    id: 'c1',
    model: 'm',
    choices: [
      { index: 0, finish_reason: 'stop', message: { content: null, refusal: 'I cannot', tool_calls: [{ id: 't1', type: 'custom', custom: { name: 'sql', input: 'select 1' } }] } },
      { index: 1, finish_reason: 'length', message: { content: 'x' } },
    ],
  });
  t.same(result, { response_id: 'c1', response_model: 'm', finish_reasons: ['stop', 'length'], output_text: null, tool_calls: [{ id: 't1', name: 'sql', arguments: 'select 1' }], refusal: 'I cannot' });
  const stream = recorder.stream();
  t.equal(stream.add({ id: 'c2', model: 'm', choices: [{ index: 1, delta: { content: 'other choice' }, finish_reason: null }] }), false);
  t.equal(stream.add({ id: 'c2', model: 'm', usage: null, choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }] }), false, 'the caller asked for usage: nothing hidden');
  stream.add({ id: 'c2', model: 'm', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 't', function: { name: 'f' } }] }, finish_reason: 'tool_calls' }] });
  t.same(stream.result(), { response_id: 'c2', response_model: 'm', finish_reasons: ['tool_calls', null], output_text: 'a', tool_calls: [{ id: 't', name: 'f', arguments: '' }] });
});

t.test('responses results: incomplete answers, custom tool calls, a stream ended before its response', async (t) => {
  const recorder = responsesRecorder(true);
  const result = recorder.result({
    id: 'r',
    model: 'm',
    status: 'incomplete',
    incomplete_details: { reason: 'max_output_tokens' },
    output: [
      { type: 'reasoning', summary: [] },
      { type: 'message', content: [{ type: 'refusal', refusal: 'no' }] },
      { type: 'custom_tool_call', call_id: 'c', name: 'sql', input: 'select 1' },
    ],
  });
  t.same(result, { response_id: 'r', response_model: 'm', finish_reasons: ['max_output_tokens'], output_text: null, tool_calls: [{ id: 'c', name: 'sql', arguments: 'select 1' }] });
  const stream = recorder.stream();
  stream.add({ type: 'response.output_text.delta', delta: 'hi' });
  t.same(stream.result(), { response_id: undefined, response_model: undefined, output_text: 'hi' });
  const quiet = responsesRecorder(false).stream();
  quiet.add({ type: 'response.output_text.delta', delta: 'hi' });
  quiet.add({ type: 'response.created', response: { id: 'r2', model: 'm' } });
  t.same(quiet.result(), { response_id: 'r2', response_model: 'm' });
  t.same(responsesRecorder(true).stream().result(), { response_id: undefined, response_model: undefined, output_text: null });
});

t.test('embeddings and token counts', async (t) => {
  t.same(embeddingsRecorder.result({ model: 'e', data: [] }), { response_model: 'e', embeddings: 0 });
  t.same(countTokensRecorder.result({ input_tokens: 9 }), { usage: { input_tokens: 9 } });
});

t.test('anthropic stream events fold into the message; a tool block without deltas keeps its input', async (t) => {
  const stream = messagesRecorder(true).stream();
  stream.add({ type: 'message_start', message: { id: 'm1', model: 'c', usage: { input_tokens: 3, output_tokens: 1 } } });
  stream.add({ type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 's', name: 'web_search', input: { q: 'x' } } });
  stream.add({ type: 'content_block_start', index: 1, content_block: { type: 'thinking', thinking: '' } });
  stream.add({ type: 'content_block_delta', index: 1, delta: { type: 'thinking_delta', thinking: 'hm' } });
  stream.add({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5, input_tokens: null } });
  t.same(stream.result(), {
    response_id: 'm1',
    response_model: 'c',
    finish_reasons: ['end_turn'],
    output_text: null,
    tool_calls: [{ id: 's', name: 'web_search', arguments: '{"q":"x"}' }],
    usage: { input_tokens: 3, output_tokens: 5, total_tokens: 8 },
  });
});

t.test('requestPayload copies the request, never a missing one', async (t) => {
  const options = resolveWrapOptions('wrapOpenAI', { metadata: { team: 'a' } });
  t.same(requestPayload(options, undefined), { team: 'a' });
  t.same(requestPayload(options, { model: 'm', user: undefined }), { team: 'a', model: 'm' });
});
