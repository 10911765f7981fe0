/** The span results of Anthropic calls: from a whole `Message`, or folded from its stream events. */
import { anthropicUsage } from '../genai.js';
import type { CallRecorder, StreamAggregator } from '../traced-call.js';

type Loose = Record<string, any>;

function messageResult(message: Loose, content: readonly Loose[], captureOutput: boolean, toolArguments?: (index: number) => string): Loose {
  const result: Loose = { response_id: message['id'], response_model: message['model'], finish_reasons: [message['stop_reason'] ?? null] };
  if (captureOutput) {
    const text: string[] = [];
    const tools: Loose[] = [];
    content.forEach((block, index) => {
      if (block['type'] === 'text') text.push(block['text']);
      else if (block['type'] === 'tool_use' || block['type'] === 'server_tool_use') {
        tools.push({ id: block['id'], name: block['name'], arguments: toolArguments?.(index) ?? JSON.stringify(block['input']) });
      }
    });
    result['output_text'] = text.length === 0 ? null : text.join('');
    if (tools.length > 0) result['tool_calls'] = tools;
  }
  const usage = anthropicUsage(message['usage']);
  if (usage !== undefined) result['usage'] = usage;
  return result;
}

/** `messages.create`: a `Message`, or its stream of events. */
export function messagesRecorder(captureOutput: boolean): CallRecorder {
  return {
    result: (data: Loose) => messageResult(data, data['content'], captureOutput),
    stream: () => new MessageEvents(captureOutput),
  };
}

/** Folds `message_start`, `content_block_*` and `message_delta` events into the message. */
class MessageEvents implements StreamAggregator {
  #message: Loose = {};
  #blocks: Loose[] = [];
  #text: string[][] = [];
  #json: string[][] = [];

  constructor(readonly captureOutput: boolean) {}

  add(event: Loose): boolean {
    switch (event['type']) {
      case 'message_start':
        this.#message = { ...event['message'], usage: { ...event['message']?.['usage'] } };
        break;
      case 'content_block_start':
        if (this.captureOutput) {
          this.#blocks[event['index']] = event['content_block'];
          this.#text[event['index']] = [];
          this.#json[event['index']] = [];
        }
        break;
      case 'content_block_delta': {
        const delta = event['delta'];
        if (!this.captureOutput) break;
        if (delta?.['type'] === 'text_delta') this.#text[event['index']]?.push(delta['text']);
        else if (delta?.['type'] === 'input_json_delta') this.#json[event['index']]?.push(delta['partial_json']);
        break;
      }
      case 'message_delta':
        Object.assign(this.#message, event['delta']);
        for (const [key, value] of Object.entries(event['usage'] as Loose)) if (value != null) this.#message['usage'][key] = value;
        break;
    }
    return false;
  }

  result(): Loose {
    const content = this.#blocks.map((block, index) => (block?.['type'] === 'text' ? { ...block, text: block['text'] + this.#text[index]!.join('') } : block));
    return messageResult(this.#message, content, this.captureOutput, (index) => this.#json[index]!.join('') || JSON.stringify(this.#blocks[index]!['input']));
  }
}

/** `messages.countTokens`: the input tokens. */
export const countTokensRecorder: CallRecorder = {
  result: (data: Loose) => ({ usage: { input_tokens: data?.['input_tokens'] } }),
  /* c8 ignore next 3 -- token counts do not stream */
  stream() {
    return { add: () => false, result: () => ({}) };
  },
};
