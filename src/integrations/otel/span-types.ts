import { z } from 'zod';
import { defineSpanType, type SpanType } from '../../index.js';

/**
 * The span types OpenTelemetry spans become: `otel:<operation>` for the GenAI semantic
 * conventions' operations (`gen_ai.operation.name`) and the Vercel AI SDK's operation ids
 * (`ai.operationId`), `otel:span` for every other span. Their schemas are loose: every field is
 * optional and unknown fields pass, so an instrumentation's new attributes never fail validation.
 */

const usage = z.looseObject({
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  totalTokens: z.number().optional(),
});

const tool = z.looseObject({
  name: z.string().optional(),
  callId: z.string().optional(),
  arguments: z.unknown().optional(),
});

/** The payload of every `otel:*` span: what was known when the OTel span started. */
export const OTelSpanPayload = z.looseObject({
  /** The OTel span's name. */
  name: z.string(),
  /** `gen_ai.request.model`, `ai.model.id`, `llm.model_name`. */
  model: z.string().optional(),
  /** `gen_ai.provider.name`, `gen_ai.system`, `ai.model.provider`, `llm.provider`. */
  provider: z.string().optional(),
  /** Input messages: `gen_ai.input.messages`, `ai.prompt.messages`. */
  messages: z.unknown().optional(),
  /** The prompt: `ai.prompt`, `gen_ai.prompt`, `input.value` (OpenInference). */
  prompt: z.unknown().optional(),
  tool: tool.optional(),
  /** The OTel span's other attributes. */
  attributes: z.record(z.string(), z.unknown()).optional(),
});

/** The result of every `otel:*` span: what was learnt by the time it ended. */
export const OTelSpanResult = z.looseObject({
  /** The model that answered (`gen_ai.response.model`, `ai.response.model`). */
  responseModel: z.string().optional(),
  /** Text or messages out: `gen_ai.output.messages`, `ai.response.text`, `ai.response.object`, `output.value`. */
  output: z.unknown().optional(),
  /** Tool calls the model asked for (`ai.response.toolCalls`). */
  toolCalls: z.unknown().optional(),
  /** A tool's result (`gen_ai.tool.call.result`, `ai.toolCall.result`). */
  toolResult: z.unknown().optional(),
  finishReasons: z.array(z.string()).optional(),
  usage: usage.optional(),
  /** Attributes added after the span started, not mapped above. */
  attributes: z.record(z.string(), z.unknown()).optional(),
  /** Set on a failed span: the status message and the recorded exception. */
  error: z.looseObject({ type: z.string().optional(), message: z.string().optional(), stack: z.string().optional() }).optional(),
});

/** The operations with a span type of their own, and their titles. */
const OPERATIONS: Readonly<Record<string, string>> = {
  chat: 'Chat completion',
  text_completion: 'Text completion',
  generate_content: 'Content generation',
  embeddings: 'Embeddings',
  execute_tool: 'Tool execution',
  invoke_agent: 'Agent invocation',
  create_agent: 'Agent creation',
  'ai.generateText': 'AI SDK generateText',
  'ai.generateText.doGenerate': 'AI SDK model call (generate)',
  'ai.streamText': 'AI SDK streamText',
  'ai.streamText.doStream': 'AI SDK model call (stream)',
  'ai.generateObject': 'AI SDK generateObject',
  'ai.generateObject.doGenerate': 'AI SDK model call (object)',
  'ai.streamObject': 'AI SDK streamObject',
  'ai.streamObject.doStream': 'AI SDK model call (object stream)',
  'ai.embed': 'AI SDK embed',
  'ai.embed.doEmbed': 'AI SDK embedding call',
  'ai.embedMany': 'AI SDK embedMany',
  'ai.embedMany.doEmbed': 'AI SDK embedding call (many)',
  'ai.toolCall': 'AI SDK tool call',
};

function otelSpanType(name: string, title: string): SpanType {
  return defineSpanType({
    name,
    title,
    description: 'An OpenTelemetry span, recorded by prefactor-trace/otel',
    template: '{{name}}',
    params: OTelSpanPayload,
    result: OTelSpanResult,
    validate: false, // built by the bridge from the span's attributes: the schemas type and document them
  }) as SpanType;
}

/** The span type of spans with no operation of their own. */
export const OTEL_SPAN: SpanType = otelSpanType('otel:span', 'OpenTelemetry span');

const BY_OPERATION = new Map<string, SpanType>(Object.entries(OPERATIONS).map(([operation, title]) => [operation, otelSpanType(`otel:${operation}`, title)]));

/**
 * Every span type OTel spans can become. Pass them to the tracer (`spanTypes: [...yours,
 * ...otelSpanTypes]`) to register their JSON schemas with each agent instance.
 */
export const otelSpanTypes: readonly SpanType[] = [OTEL_SPAN, ...BY_OPERATION.values()];

/** The span type of an operation (`chat`, `ai.toolCall`...), `otel:span` for any other. */
export function spanTypeOf(operation: string | undefined): SpanType {
  return (operation === undefined ? undefined : BY_OPERATION.get(operation)) ?? OTEL_SPAN;
}
