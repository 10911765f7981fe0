/** The span results of OpenAI calls: from a whole answer, or folded from a stream. */
import { chatCompletionsUsage, responsesUsage, type GenAiUsage } from '../genai.js';
import type { CallRecorder, StreamAggregator } from '../traced-call.js';

type Loose = Record<string, any>;
interface ToolCall {
  id?: string;
  name?: string;
  arguments?: string;
}

function withUsage(result: Loose, usage: GenAiUsage | undefined): Loose {
  if (usage !== undefined) result['usage'] = usage;
  return result;
}

/** `chat.completions.create`: a `ChatCompletion`, or a stream of chunks. */
export function chatRecorder(captureOutput: boolean, usageRequested: boolean): CallRecorder {
  return {
    result(data: Loose) {
      const choices: Loose[] = data['choices'];
      const result: Loose = { response_id: data['id'], response_model: data['model'], finish_reasons: choices.map((choice) => choice['finish_reason']) };
      if (captureOutput) {
        const message = choices[0]!['message'];
        result['output_text'] = message['content'];
        if (Array.isArray(message['tool_calls'])) {
          result['tool_calls'] = message['tool_calls'].map((call: Loose) => {
            const tool = call['function'] ?? call['custom'];
            return { id: call['id'], name: tool['name'], arguments: tool['arguments'] ?? tool['input'] };
          });
        }
        if (typeof message['refusal'] === 'string') result['refusal'] = message['refusal'];
      }
      return withUsage(result, chatCompletionsUsage(data['usage']));
    },
    stream: () => new ChatStream(captureOutput, usageRequested),
  };
}

/** Folds chat completion chunks: text and tool calls of the first choice, finish reasons, usage. */
class ChatStream implements StreamAggregator {
  #id: string | undefined;
  #model: string | undefined;
  #text: string[] = [];
  #tools: ToolCall[] = [];
  #toolArguments: string[][] = [];
  #finish: (string | null)[] = [];
  #usage: GenAiUsage | undefined;

  constructor(
    readonly captureOutput: boolean,
    // The wrapper asked for usage in a last chunk: that chunk and the `usage: null` of the others are
    // hidden, so the caller gets what the unwrapped client gives.
    readonly usageRequested: boolean,
  ) {}

  add(chunk: Loose): boolean {
    this.#id ??= chunk['id'];
    this.#model ??= chunk['model'];
    const usage = chunk['usage'];
    if (usage !== undefined) {
      if (usage !== null) this.#usage = chatCompletionsUsage(usage);
      if (this.usageRequested) {
        if (usage !== null && Array.isArray(chunk['choices']) && chunk['choices'].length === 0) return true;
        delete chunk['usage'];
      }
    }
    const choices: Loose[] = chunk['choices'];
    for (const choice of choices) {
      const index: number = choice['index'];
      if (choice['finish_reason'] != null) this.#finish[index] = choice['finish_reason'];
      else if (this.#finish[index] === undefined) this.#finish[index] = null;
      if (index !== 0 || !this.captureOutput) continue;
      const delta = choice['delta'];
      if (typeof delta?.['content'] === 'string') this.#text.push(delta['content']);
      if (Array.isArray(delta?.['tool_calls'])) for (const call of delta['tool_calls']) this.#addToolCall(call);
    }
    return false;
  }

  #addToolCall(call: Loose): void {
    const index: number = call['index'];
    const tool = (this.#tools[index] ??= {});
    const args = (this.#toolArguments[index] ??= []);
    if (call['id'] !== undefined) tool.id = call['id'];
    const fn = call['function'];
    if (typeof fn?.['name'] === 'string') tool.name = fn['name'];
    if (typeof fn?.['arguments'] === 'string') args.push(fn['arguments']);
  }

  result(): Loose {
    const result: Loose = { response_id: this.#id, response_model: this.#model, finish_reasons: [...this.#finish].map((reason) => reason ?? null) };
    if (this.captureOutput) {
      result['output_text'] = this.#text.length === 0 ? null : this.#text.join('');
      if (this.#tools.length > 0) {
        result['tool_calls'] = this.#tools.map((tool, index) => ({ ...tool, arguments: this.#toolArguments[index]!.join('') }));
      }
    }
    return withUsage(result, this.#usage);
  }
}

/** The result of a Responses API `Response`. */
function responseResult(response: Loose, captureOutput: boolean): Loose {
  const result: Loose = {
    response_id: response['id'],
    response_model: response['model'],
    finish_reasons: [response['incomplete_details']?.['reason'] ?? response['status']],
  };
  if (captureOutput) {
    const text: string[] = [];
    const tools: ToolCall[] = [];
    for (const item of response['output'] as Loose[]) {
      if (item['type'] === 'message') {
        for (const part of item['content']) if (part['type'] === 'output_text') text.push(part['text']);
      } else if (item['type'] === 'function_call' || item['type'] === 'custom_tool_call') {
        tools.push({ id: item['call_id'], name: item['name'], arguments: item['arguments'] ?? item['input'] });
      }
    }
    result['output_text'] = text.length === 0 ? null : text.join('');
    if (tools.length > 0) result['tool_calls'] = tools;
  }
  return withUsage(result, responsesUsage(response['usage']));
}

/** `responses.create`: a `Response`, or a stream of events ending with `response.completed`. */
export function responsesRecorder(captureOutput: boolean): CallRecorder {
  return {
    result: (data: Loose) => responseResult(data, captureOutput),
    stream: () => new ResponsesStream(captureOutput),
  };
}

const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

class ResponsesStream implements StreamAggregator {
  #response: Loose | undefined;
  #final = false;
  #text: string[] = [];

  constructor(readonly captureOutput: boolean) {}

  add(event: Loose): boolean {
    const type = event['type'];
    if (type === 'response.output_text.delta') {
      if (this.captureOutput && typeof event['delta'] === 'string') this.#text.push(event['delta']);
    } else if (typeof event['response'] === 'object' && event['response'] !== null && !this.#final) {
      this.#response = event['response'];
      this.#final = FINAL_EVENTS.has(type);
    }
    return false;
  }

  result(): Loose {
    if (this.#final) return responseResult(this.#response!, this.captureOutput);
    // Ended early: what was read.
    const result: Loose = { response_id: this.#response?.['id'], response_model: this.#response?.['model'] };
    if (this.captureOutput) result['output_text'] = this.#text.length === 0 ? null : this.#text.join('');
    return result;
  }
}

/** `embeddings.create`: how many vectors, of which size, and the usage (the vectors are not recorded). */
export const embeddingsRecorder: CallRecorder = {
  result(data: Loose) {
    const vectors: Loose[] = data['data'];
    const first = vectors[0]?.['embedding'];
    const result: Loose = { response_model: data['model'], embeddings: vectors.length };
    if (Array.isArray(first)) result['dimensions'] = first.length; // not for a base64 string
    return withUsage(result, chatCompletionsUsage(data['usage']));
  },
  /* c8 ignore next 3 -- the Embeddings API does not stream */
  stream() {
    return { add: () => false, result: () => ({}) };
  },
};
