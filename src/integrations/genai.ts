/**
 * The token usage of a model call under the OpenTelemetry GenAI semantic conventions' names
 * (`gen_ai.usage.*`, dots after the first level written as underscores), made from what each API
 * reports.
 */
import { z } from 'zod';

/** Token counts of one model call. */
export interface GenAiUsage {
  /** `gen_ai.usage.input_tokens`: every input token, cached ones included. */
  input_tokens?: number;
  /** `gen_ai.usage.output_tokens`: every output token, reasoning included. */
  output_tokens?: number;
  /** Input plus output tokens. */
  total_tokens?: number;
  /** `gen_ai.usage.cache_read.input_tokens`: input tokens served from the provider's cache. */
  cache_read_input_tokens?: number;
  /** `gen_ai.usage.cache_creation.input_tokens`: input tokens written to the provider's cache. */
  cache_creation_input_tokens?: number;
  /** `gen_ai.usage.reasoning.output_tokens`: output tokens spent on reasoning. */
  reasoning_output_tokens?: number;
}

/** The zod schema of `GenAiUsage` (for the span types' result schemas). */
export const genAiUsageSchema = z.looseObject({
  input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
  total_tokens: z.number().optional(),
  cache_read_input_tokens: z.number().optional(),
  cache_creation_input_tokens: z.number().optional(),
  reasoning_output_tokens: z.number().optional(),
});

type Loose = Record<string, unknown> | null | undefined;

const count = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** Drops the fields the API did not give. */
function compact(usage: GenAiUsage): GenAiUsage {
  for (const key of Object.keys(usage) as (keyof GenAiUsage)[]) if (usage[key] === undefined) delete usage[key];
  return usage;
}

/** OpenAI Chat Completions / Embeddings usage (`prompt_tokens`, `completion_tokens`, details). */
export function chatCompletionsUsage(usage: Loose): GenAiUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  return compact({
    input_tokens: count(usage['prompt_tokens']),
    output_tokens: count(usage['completion_tokens']),
    total_tokens: count(usage['total_tokens']),
    cache_read_input_tokens: count((usage['prompt_tokens_details'] as Loose)?.['cached_tokens']),
    reasoning_output_tokens: count((usage['completion_tokens_details'] as Loose)?.['reasoning_tokens']),
  });
}

/** OpenAI Responses usage (`input_tokens`, `output_tokens`, details). */
export function responsesUsage(usage: Loose): GenAiUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  return compact({
    input_tokens: count(usage['input_tokens']),
    output_tokens: count(usage['output_tokens']),
    total_tokens: count(usage['total_tokens']),
    cache_read_input_tokens: count((usage['input_tokens_details'] as Loose)?.['cached_tokens']),
    reasoning_output_tokens: count((usage['output_tokens_details'] as Loose)?.['reasoning_tokens']),
  });
}

/**
 * Anthropic usage. The API's `input_tokens` leaves out the cache reads and writes; the GenAI
 * `input_tokens` includes them (the API's own figure stays readable as the difference).
 */
export function anthropicUsage(usage: Loose): GenAiUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const uncached = count(usage['input_tokens']);
  const cacheRead = count(usage['cache_read_input_tokens']);
  const cacheCreation = count(usage['cache_creation_input_tokens']);
  const output = count(usage['output_tokens']);
  const input = uncached === undefined ? undefined : uncached + (cacheRead ?? 0) + (cacheCreation ?? 0);
  return compact({
    input_tokens: input,
    output_tokens: output,
    total_tokens: input === undefined && output === undefined ? undefined : (input ?? 0) + (output ?? 0),
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheCreation,
  });
}
