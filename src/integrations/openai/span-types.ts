import { z } from 'zod';
import { defineSpanType } from '../../index.js';
import { genAiUsageSchema } from '../genai.js';

// Payload schemas are loose on purpose: they document the common fields and accept every request
// the API accepts (a payload check must never refuse a call the API would take).
const request = {
  model: z.string().optional(),
  tools: z.array(z.unknown()).optional(),
  temperature: z.number().nullable().optional(),
  top_p: z.number().nullable().optional(),
  stream: z.boolean().nullable().optional(),
};

const toolCall = z.looseObject({ id: z.string().optional(), name: z.string().optional(), arguments: z.string().optional() });

const answer = {
  response_id: z.string().optional(),
  response_model: z.string().optional(),
  finish_reasons: z.array(z.string().nullable()).optional(),
  output_text: z.string().nullable().optional(),
  tool_calls: z.array(toolCall).optional(),
  usage: genAiUsageSchema.optional(),
};

/** A Chat Completions call (`chat.completions.create`, `.parse`, `.stream`, `.runTools`). */
export const openaiChat = defineSpanType({
  name: 'openai:chat',
  validate: false, // built by the wrapper from the client's own request and answer: the schemas type and document them
  title: 'OpenAI chat completion',
  description: 'One call of the OpenAI Chat Completions API: the request, the answer and its token usage',
  template: '{{model}}',
  params: z.looseObject({ ...request, messages: z.array(z.unknown()).optional(), max_completion_tokens: z.number().nullable().optional() }),
  result: z.looseObject(answer),
});

/** A Responses call (`responses.create`, `.parse`, `.stream`). */
export const openaiResponses = defineSpanType({
  name: 'openai:responses',
  validate: false, // built by the wrapper from the client's own request and answer: the schemas type and document them
  title: 'OpenAI response',
  description: 'One call of the OpenAI Responses API: the request, the answer and its token usage',
  template: '{{model}}',
  params: z.looseObject({ ...request, input: z.unknown().optional(), instructions: z.string().nullable().optional() }),
  result: z.looseObject(answer),
});

/** An Embeddings call (`embeddings.create`); the vectors are not recorded, only their count and size. */
export const openaiEmbeddings = defineSpanType({
  name: 'openai:embeddings',
  validate: false, // built by the wrapper from the client's own request and answer: the schemas type and document them
  title: 'OpenAI embeddings',
  description: 'One call of the OpenAI Embeddings API: the input, how many vectors of which size, and the token usage',
  template: '{{model}}',
  params: z.looseObject({ model: z.string().optional(), input: z.unknown().optional(), dimensions: z.number().optional() }),
  result: z.looseObject({
    response_model: z.string().optional(),
    embeddings: z.number().optional(),
    dimensions: z.number().optional(),
    usage: genAiUsageSchema.optional(),
  }),
});

/** The built-in span types of `wrapOpenAI`: pass them to the tracer's `spanTypes` to register their schemas. */
export const openaiSpanTypes = [openaiChat, openaiResponses, openaiEmbeddings] as const;
