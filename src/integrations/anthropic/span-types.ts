import { z } from 'zod';
import { defineSpanType } from '../../index.js';
import { genAiUsageSchema } from '../genai.js';

/** A Messages call (`messages.create`, `.parse`, `.stream()`). */
export const anthropicMessages = defineSpanType({
  name: 'anthropic:messages',
  validate: false, // built by the wrapper from the client's own request and answer: the schemas type and document them
  title: 'Anthropic message',
  description: 'One call of the Anthropic Messages API: the request, the answer and its token usage',
  template: '{{model}}',
  // Loose on purpose: documents the common fields and accepts every request the API accepts.
  params: z.looseObject({
    model: z.string().optional(),
    messages: z.array(z.unknown()).optional(),
    system: z.unknown().optional(),
    tools: z.array(z.unknown()).optional(),
    max_tokens: z.number().optional(),
    temperature: z.number().optional(),
    stream: z.boolean().optional(),
  }),
  result: z.looseObject({
    response_id: z.string().optional(),
    response_model: z.string().optional(),
    finish_reasons: z.array(z.string().nullable()).optional(),
    output_text: z.string().nullable().optional(),
    tool_calls: z.array(z.looseObject({ id: z.string().optional(), name: z.string().optional(), arguments: z.string().optional() })).optional(),
    usage: genAiUsageSchema.optional(),
  }),
});

/** A token count (`messages.countTokens`): the request and its input tokens. */
export const anthropicCountTokens = defineSpanType({
  name: 'anthropic:count_tokens',
  validate: false, // built by the wrapper from the client's own request and answer: the schemas type and document them
  title: 'Anthropic token count',
  description: 'One call of the Anthropic token counting API',
  template: '{{model}}',
  params: z.looseObject({ model: z.string().optional(), messages: z.array(z.unknown()).optional() }),
  result: z.looseObject({ usage: genAiUsageSchema.optional() }),
});

/** The built-in span types of `wrapAnthropic`: pass them to the tracer's `spanTypes` to register their schemas. */
export const anthropicSpanTypes = [anthropicMessages, anthropicCountTokens] as const;
