import type { SpanType } from '../index.js';
import { assertOptionsObject, check, invalidOption, rejectUnknownKeys } from '../util/option-checks.js';

/** Options of `wrapOpenAI(client, options)` and `wrapAnthropic(client, options)`. */
export interface WrapOptions {
  /**
   * A span type (or name) of your own for every call of the client, instead of the built-in ones
   * (`openai:chat`, `openai:responses`, `openai:embeddings`, `anthropic:messages`...).
   * @default the built-in span type of each method
   */
  readonly spanType?: SpanType<any, any> | string;
  /**
   * `false` leaves the content out of the payload (messages, input, system prompt, instructions,
   * prompt); the model and the other request parameters stay.
   * @default true
   */
  readonly captureInput?: boolean;
  /**
   * `false` leaves the content out of the result (output text, tool calls); the model, response
   * id, finish reasons and token usage stay.
   * @default true
   */
  readonly captureOutput?: boolean;
  /**
   * Static fields added to every payload, e.g. `{ agent: 'planner' }`. A request parameter of the
   * same name wins.
   * @default {}
   */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** `WrapOptions` resolved: every field set. */
export interface ResolvedWrapOptions {
  readonly spanType: SpanType<any, any> | string | undefined;
  readonly captureInput: boolean;
  readonly captureOutput: boolean;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
}

const KEYS = ['spanType', 'captureInput', 'captureOutput', 'metadata'] as const;

/** Validates the options of `what` (throws a `PrefactorConfigError` naming the option). */
export function resolveWrapOptions(what: string, options: WrapOptions | undefined): ResolvedWrapOptions {
  assertOptionsObject(what, options);
  if (options === undefined) return { spanType: undefined, captureInput: true, captureOutput: true, metadata: undefined };
  rejectUnknownKeys(what, options, KEYS);
  const { spanType, metadata } = options;
  if (spanType !== undefined && typeof spanType !== 'string' && typeof (spanType as { name?: unknown } | null)?.name !== 'string') {
    invalidOption('spanType', 'a span type from defineSpanType() or a name', spanType);
  }
  if (typeof spanType === 'string') check.nonEmptyString('spanType', spanType);
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    invalidOption('metadata', 'an object', metadata);
  }
  return {
    spanType,
    captureInput: options.captureInput === undefined ? true : check.boolean('captureInput', options.captureInput),
    captureOutput: options.captureOutput === undefined ? true : check.boolean('captureOutput', options.captureOutput),
    metadata: metadata === undefined || Object.keys(metadata).length === 0 ? undefined : { ...metadata },
  };
}

/** Request fields that carry content (dropped with `captureInput: false`). */
const CONTENT_KEYS = new Set(['messages', 'input', 'system', 'instructions', 'prompt', 'prediction']);

/**
 * The span payload of a request body: the metadata, then the body's fields (its content left out
 * with `captureInput: false`). The body is read, never changed.
 */
export function requestPayload(options: ResolvedWrapOptions, body: unknown): Record<string, unknown> {
  const payload: Record<string, unknown> = options.metadata === undefined ? {} : { ...options.metadata };
  if (typeof body !== 'object' || body === null) return payload;
  for (const key in body) {
    if (!options.captureInput && CONTENT_KEYS.has(key)) continue;
    const value = (body as Record<string, unknown>)[key];
    if (value !== undefined) payload[key] = value;
  }
  return payload;
}
