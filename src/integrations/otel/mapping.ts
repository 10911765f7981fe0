import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SpanType } from '../../index.js';
import { OTEL_SPAN, spanTypeOf } from './span-types.js';

/** What an OTel span becomes: see the `map` option of `PrefactorSpanProcessor`. */
export interface OTelSpanMapping {
  /** The Prefactor span type (from `defineSpanType`) or a span type name. Read when the span starts. */
  readonly spanType: SpanType | string;
  /** The span's payload. Read when the span starts. */
  readonly payload?: unknown;
  /** The span's result. Read when the span ends. */
  readonly result?: unknown;
}

/** Attribute prefixes of AI instrumentations: GenAI semantic conventions, Vercel AI SDK, OpenInference, OpenLLMetry. */
const AI_PREFIXES = ['gen_ai.', 'ai.', 'llm.', 'openinference.', 'traceloop.'] as const;

/**
 * Whether an OTel span comes from an AI instrumentation: it has a `gen_ai.*` (GenAI semantic
 * conventions), `ai.*` (Vercel AI SDK), `llm.*` or `openinference.*` (OpenInference) or
 * `traceloop.*` (OpenLLMetry) attribute.
 */
export function isGenAiSpan(span: Pick<ReadableSpan, 'attributes'>): boolean {
  for (const key in span.attributes) {
    for (const prefix of AI_PREFIXES) if (key.startsWith(prefix)) return true;
  }
  return false;
}

/** Reads attributes, remembering which ones were mapped; the rest go under `attributes`. */
class AttributeReader {
  readonly #attributes: Attributes;
  readonly #used = new Set<string>();

  constructor(attributes: Attributes) {
    this.#attributes = attributes;
  }

  /** The first of `keys` that is set; every one of them counts as mapped. */
  first(...keys: string[]): AttributeValue | undefined {
    let found: AttributeValue | undefined;
    for (const key of keys) {
      const value = this.#attributes[key];
      if (value === undefined) continue;
      this.#used.add(key);
      found ??= value;
    }
    return found;
  }

  string(...keys: string[]): string | undefined {
    const value = this.first(...keys);
    return value === undefined ? undefined : String(value);
  }

  number(...keys: string[]): number | undefined {
    const value = this.first(...keys);
    return typeof value === 'number' ? value : undefined;
  }

  /** A value that instrumentations write as JSON text (messages, tool arguments): parsed when it is. */
  json(...keys: string[]): unknown {
    return parseJson(this.first(...keys));
  }

  /** The attributes not mapped, leaving out `known` ones. `undefined` when none. */
  rest(known?: ReadonlySet<string>): Record<string, AttributeValue> | undefined {
    let rest: Record<string, AttributeValue> | undefined;
    for (const [key, value] of Object.entries(this.#attributes)) {
      if (value === undefined || this.#used.has(key) || known?.has(key)) continue;
      (rest ??= {})[key] = value;
    }
    return rest;
  }
}

function parseJson(value: AttributeValue | undefined): unknown {
  if (typeof value !== 'string') return value;
  const first = value.charCodeAt(0);
  if (first !== 0x7b && first !== 0x5b) return value; // not `{` or `[`
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** `object` without its undefined fields (so a payload carries only what the span had). */
function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}

/** The operation of a span: `gen_ai.operation.name`, else the AI SDK's `ai.operationId`. */
export function operationOf(span: Pick<ReadableSpan, 'attributes'>): string | undefined {
  const operation = span.attributes['gen_ai.operation.name'] ?? span.attributes['ai.operationId'];
  return typeof operation === 'string' ? operation : undefined;
}

/**
 * The default mapping of an OTel span: span type from its operation (`otel:chat`,
 * `otel:ai.toolCall`..., else `otel:span`); payload with the model, provider, messages or prompt,
 * and tool name and arguments; result with the output, tool calls or tool result, finish reasons
 * and token usage; the other attributes under `attributes` (of the payload when set by the start,
 * of the result when set later).
 */
export function mapOTelSpan(span: ReadableSpan): OTelSpanMapping {
  return mapSpan(span, undefined);
}

/** `mapOTelSpan`, leaving the `known` attributes (those the payload had) out of the result's `attributes`. */
export function mapSpan(span: ReadableSpan, known: ReadonlySet<string> | undefined): OTelSpanMapping {
  const read = new AttributeReader(span.attributes);
  const toolName = read.string('gen_ai.tool.name', 'ai.toolCall.name', 'tool.name');
  const payload = defined({
    name: span.name,
    model: read.string('gen_ai.request.model', 'ai.model.id', 'llm.model_name', 'llm.request.model'),
    provider: read.string('gen_ai.provider.name', 'gen_ai.system', 'ai.model.provider', 'llm.provider', 'llm.system'),
    messages: read.json('gen_ai.input.messages', 'ai.prompt.messages'),
    prompt: read.json('ai.prompt', 'gen_ai.prompt', 'input.value'),
    tool:
      toolName === undefined
        ? undefined
        : defined({
            name: toolName,
            callId: read.string('gen_ai.tool.call.id', 'ai.toolCall.id'),
            arguments: read.json('gen_ai.tool.call.arguments', 'ai.toolCall.args', 'tool.parameters'),
          }),
    attributes: undefined as Record<string, AttributeValue> | undefined,
  });
  const inputTokens = read.number('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'ai.usage.inputTokens', 'ai.usage.promptTokens', 'llm.token_count.prompt', 'llm.usage.prompt_tokens');
  const outputTokens = read.number(
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.completion_tokens',
    'ai.usage.outputTokens',
    'ai.usage.completionTokens',
    'llm.token_count.completion',
    'llm.usage.completion_tokens',
  );
  const totalTokens =
    read.number('gen_ai.usage.total_tokens', 'ai.usage.totalTokens', 'llm.token_count.total', 'llm.usage.total_tokens') ??
    (inputTokens !== undefined && outputTokens !== undefined ? inputTokens + outputTokens : undefined);
  const finishReasons = read.first('gen_ai.response.finish_reasons', 'ai.response.finishReason');
  const result = defined({
    responseModel: read.string('gen_ai.response.model', 'ai.response.model'),
    output: read.json('gen_ai.output.messages', 'ai.response.text', 'ai.response.object', 'output.value'),
    toolCalls: read.json('ai.response.toolCalls'),
    toolResult: read.json('gen_ai.tool.call.result', 'ai.toolCall.result'),
    finishReasons: finishReasons === undefined ? undefined : (Array.isArray(finishReasons) ? finishReasons : [finishReasons]).map(String),
    usage: inputTokens === undefined && outputTokens === undefined && totalTokens === undefined ? undefined : defined({ inputTokens, outputTokens, totalTokens }),
    attributes: undefined as Record<string, AttributeValue> | undefined,
  });
  const spanType = spanTypeOf(operationOf(span));
  // The operation is in the span type's name; for `otel:span` it stays under `attributes`.
  if (spanType !== OTEL_SPAN) read.first('gen_ai.operation.name', 'ai.operationId');
  if (span.ended) {
    const rest = read.rest(known);
    if (rest !== undefined) result.attributes = rest;
  } else {
    const rest = read.rest();
    if (rest !== undefined) payload.attributes = rest;
  }
  return { spanType, payload, result };
}
