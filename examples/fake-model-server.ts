/**
 * A small HTTP server on 127.0.0.1 that answers like the OpenAI and Anthropic APIs, so the real
 * `openai` and `@anthropic-ai/sdk` clients run against it offline (examples/openai-agent.ts, the
 * tests of prefactor-trace/openai and /anthropic, the LLM wrapper benchmark).
 *
 * OpenAI (baseURL `${url}/v1`): POST /v1/chat/completions, /v1/responses, /v1/embeddings.
 * Anthropic (baseURL `url`): POST /v1/messages, /v1/messages/count_tokens.
 * JSON answers and SSE streams shaped as the real APIs send them, with usage. The model name
 * scripts the outcome:
 * - `error-400`, `error-500`: that status with the API's error body;
 * - `error-429`: 429 with `retry-after: 0` (the clients retry at once);
 * - `error-stream`: a stream that sends one chunk, then an error event;
 * - anything else: an answer. With `tools` and a last message from the user, the answer is a call
 *   of the first tool with `{"city":"Paris"}`; otherwise the text `Echo: <last user text>`.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake server received it (body parsed). */
export interface ModelRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

export interface FakeModelServer {
  /** `http://127.0.0.1:<port>`; OpenAI clients take `${url}/v1` as baseURL. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: ModelRequest[];
  close(): Promise<void>;
}

type Body = Record<string, unknown>;
type Message = { role?: string; content?: unknown };

const words = (text: string): number => (text.trim() === '' ? 0 : text.trim().split(/\s+/).length);

/** The text of a message's content (a string, or parts with `text`). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join(' ');
  return '';
}

/** Messages of a chat or messages request, or the Responses API `input`. */
function messagesOf(body: Body): Message[] {
  if (Array.isArray(body['messages'])) return body['messages'] as Message[];
  if (typeof body['input'] === 'string') return [{ role: 'user', content: body['input'] }];
  if (Array.isArray(body['input'])) return body['input'] as Message[];
  return [];
}

interface Reply {
  readonly text: string | undefined;
  readonly tool: { name: string; arguments: string } | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

function replyTo(body: Body): Reply {
  const messages = messagesOf(body);
  const last = messages.at(-1);
  const inputTokens = messages.reduce((sum, message) => sum + words(textOf(message.content)), 0) + words(typeof body['system'] === 'string' ? body['system'] : '');
  const tools = body['tools'] as { name?: string; function?: { name?: string } }[] | undefined;
  if (Array.isArray(tools) && tools.length > 0 && last?.role === 'user' && typeof last.content === 'string') {
    const name = tools[0]?.function?.name ?? tools[0]?.name ?? 'tool';
    return { text: undefined, tool: { name, arguments: '{"city":"Paris"}' }, inputTokens, outputTokens: 7 };
  }
  const userText = textOf([...messages].reverse().find((message) => message.role === 'user' || message.role === 'tool')?.content);
  const text = `Echo: ${userText}`;
  return { text, tool: undefined, inputTokens, outputTokens: words(text) };
}

/** The text split into stream deltas (word by word, spaces kept). */
const deltas = (text: string): string[] => text.match(/\S+\s*/g) ?? [''];

/** A short id made from the request's model and content, so the same request gets the same answer. */
function idOf(body: Body): string {
  return createHash('sha256').update(JSON.stringify([body['model'], body['messages'], body['input'], body['system'], body['tools']])).digest('hex').slice(0, 12);
}

let sequence = 0;

export async function startFakeModelServer(): Promise<FakeModelServer> {
  const requests: ModelRequest[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body: Body = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Body;
      } catch {
        // answered below as a 400
      }
      const path = (request.url ?? '/').split('?')[0]!;
      requests.push({ path, headers: request.headers, body });
      route(path, body, response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function route(path: string, body: Body, response: http.ServerResponse): void {
  const anthropic = path.startsWith('/v1/messages');
  const model = String(body['model'] ?? '');
  if (model === 'error-400') return apiError(response, anthropic, 400, 'invalid_request_error', 'Invalid value for messages: empty');
  if (model === 'error-429') return apiError(response, anthropic, 429, 'rate_limit_error', 'Rate limit reached', { 'retry-after': '0' });
  if (model === 'error-500') return apiError(response, anthropic, 500, anthropic ? 'api_error' : 'server_error', 'The server had an error');
  sequence++;
  const id = idOf(body);
  switch (path) {
    case '/v1/chat/completions':
      return body['stream'] === true ? chatStream(response, body, id) : json(response, chatCompletion(body, id));
    case '/v1/responses':
      return body['stream'] === true ? responsesStream(response, body, id) : json(response, responseObject(body, id));
    case '/v1/embeddings':
      return json(response, embeddings(body));
    case '/v1/messages':
      return body['stream'] === true ? messageStream(response, body, id) : json(response, message(body, id));
    case '/v1/messages/count_tokens':
      return json(response, { input_tokens: replyTo(body).inputTokens });
    default:
      return apiError(response, anthropic, 404, 'not_found_error', `No route ${path}`);
  }
}

function json(response: http.ServerResponse, value: unknown, status = 200, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-request-id': `req_${sequence}`, ...headers });
  response.end(text);
}

function apiError(response: http.ServerResponse, anthropic: boolean, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  const body = anthropic ? { type: 'error', error: { type, message } } : { error: { message, type, param: null, code: null } };
  json(response, body, status, headers);
}

function sse(response: http.ServerResponse, events: readonly { event?: string; data: unknown }[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_${sequence}` });
  for (const { event, data } of events) {
    response.write(`${event === undefined ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  }
  response.end();
}

const CREATED = 1_767_000_000;

function openaiUsage(reply: Reply) {
  return {
    prompt_tokens: reply.inputTokens,
    completion_tokens: reply.outputTokens,
    total_tokens: reply.inputTokens + reply.outputTokens,
    prompt_tokens_details: { cached_tokens: 2, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 3, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function chatCompletion(body: Body, id: string) {
  const reply = replyTo(body);
  const message = reply.tool
    ? { role: 'assistant', content: null, tool_calls: [{ id: `call_${id}`, type: 'function', function: reply.tool }], refusal: null }
    : { role: 'assistant', content: reply.text, refusal: null };
  return {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: CREATED,
    model: `${String(body['model'])}-2026-01-01`,
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.tool ? 'tool_calls' : 'stop' }],
    usage: openaiUsage(reply),
    system_fingerprint: 'fp_fake',
  };
}

function chatStream(response: http.ServerResponse, body: Body, id: string): void {
  const reply = replyTo(body);
  const includeUsage = (body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
  const base = { id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created: CREATED, model: `${String(body['model'])}-2026-01-01`, system_fingerprint: 'fp_fake' };
  const chunk = (delta: Body, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const events: { data: unknown }[] = [{ data: chunk({ role: 'assistant', content: reply.tool ? null : '', refusal: null }, null) }];
  if (reply.tool) {
    const args = reply.tool.arguments;
    const half = Math.floor(args.length / 2);
    events.push({ data: chunk({ tool_calls: [{ index: 0, id: `call_${id}`, type: 'function', function: { name: reply.tool.name, arguments: '' } }] }, null) });
    events.push({ data: chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, half) } }] }, null) });
    events.push({ data: chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }, null) });
  } else {
    for (const piece of deltas(reply.text!)) events.push({ data: chunk({ content: piece }, null) });
  }
  if (body['model'] === 'error-stream') {
    events.push({ data: { error: { message: 'The model overloaded mid-stream', type: 'server_error', param: null, code: null } } });
    return sse(response, events);
  }
  events.push({ data: chunk({}, reply.tool ? 'tool_calls' : 'stop') });
  if (includeUsage) events.push({ data: { ...base, choices: [], usage: openaiUsage(reply) } });
  events.push({ data: '[DONE]' });
  sse(response, events);
}

function responseObject(body: Body, id: string, status = 'completed') {
  const reply = replyTo(body);
  const output = reply.tool
    ? [{ type: 'function_call', id: `fc_${id}`, call_id: `call_${id}`, name: reply.tool.name, arguments: reply.tool.arguments, status: 'completed' }]
    : [{ type: 'message', id: `msg_${id}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: reply.text, annotations: [] }] }];
  return {
    id: `resp_${id}`,
    object: 'response',
    created_at: CREATED,
    status,
    model: `${String(body['model'])}-2026-01-01`,
    output: status === 'completed' ? output : [],
    temperature: body['temperature'] ?? 1,
    usage:
      status === 'completed'
        ? {
            input_tokens: reply.inputTokens,
            input_tokens_details: { cached_tokens: 1 },
            output_tokens: reply.outputTokens,
            output_tokens_details: { reasoning_tokens: 2 },
            total_tokens: reply.inputTokens + reply.outputTokens,
          }
        : null,
  };
}

function responsesStream(response: http.ServerResponse, body: Body, id: string): void {
  const reply = replyTo(body);
  const events: { event: string; data: Body }[] = [];
  let n = 0;
  const push = (type: string, data: Body) => events.push({ event: type, data: { type, sequence_number: n++, ...data } });
  push('response.created', { response: responseObject(body, id, 'in_progress') });
  if (reply.text !== undefined) {
    push('response.output_item.added', { output_index: 0, item: { type: 'message', id: `msg_${id}`, status: 'in_progress', role: 'assistant', content: [] } });
    for (const piece of deltas(reply.text)) push('response.output_text.delta', { item_id: `msg_${id}`, output_index: 0, content_index: 0, delta: piece });
    push('response.output_text.done', { item_id: `msg_${id}`, output_index: 0, content_index: 0, text: reply.text });
  }
  push('response.completed', { response: responseObject(body, id) });
  sse(response, events);
}

function embeddings(body: Body) {
  const inputs = Array.isArray(body['input']) ? (body['input'] as unknown[]) : [body['input']];
  const base64 = body['encoding_format'] === 'base64';
  const data = inputs.map((input, index) => {
    const vector = [0.1, 0.2, 0.3, index];
    return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
  });
  const tokens = inputs.reduce<number>((sum, input) => sum + words(String(input)), 0);
  return { object: 'list', data, model: String(body['model']), usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function anthropicUsage(reply: Reply, outputTokens = reply.outputTokens) {
  return { input_tokens: reply.inputTokens, cache_creation_input_tokens: 4, cache_read_input_tokens: 6, output_tokens: outputTokens, service_tier: 'standard' };
}

function message(body: Body, id: string) {
  const reply = replyTo(body);
  const content = reply.tool
    ? [{ type: 'tool_use', id: `toolu_${id}`, name: reply.tool.name, input: JSON.parse(reply.tool.arguments) as unknown }]
    : [{ type: 'text', text: reply.text }];
  return {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: `${String(body['model'])}-20260101`,
    content,
    stop_reason: reply.tool ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(reply),
  };
}

function messageStream(response: http.ServerResponse, body: Body, id: string): void {
  const reply = replyTo(body);
  const events: { event: string; data: Body }[] = [];
  const push = (type: string, data: Body) => events.push({ event: type, data: { type, ...data } });
  push('message_start', { message: { ...message(body, id), content: [], stop_reason: null, usage: anthropicUsage(reply, 1) } });
  if (reply.tool) {
    push('content_block_start', { index: 0, content_block: { type: 'tool_use', id: `toolu_${id}`, name: reply.tool.name, input: {} } });
    const args = reply.tool.arguments;
    push('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: args.slice(0, 5) } });
    push('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: args.slice(5) } });
  } else {
    push('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    push('ping', {});
    for (const piece of deltas(reply.text!)) push('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } });
  }
  if (body['model'] === 'error-stream') {
    push('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
    return sse(response, events);
  }
  push('content_block_stop', { index: 0 });
  push('message_delta', { delta: { stop_reason: reply.tool ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: reply.outputTokens } });
  push('message_stop', {});
  sse(response, events);
}
