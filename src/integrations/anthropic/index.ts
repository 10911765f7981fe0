/**
 * `prefactor-trace/anthropic`: `wrapAnthropic(client)` makes every model call of an Anthropic
 * client a span. Imports nothing from `@anthropic-ai/sdk` itself.
 */
import { invalidOption } from '../../util/option-checks.js';
import { resolveWrapOptions, requestPayload, type WrapOptions } from '../options.js';
import { patchMethod, traceCall, type CallRecorder } from '../traced-call.js';
import { countTokensRecorder, messagesRecorder } from './results.js';
import { anthropicCountTokens, anthropicMessages } from './span-types.js';

export { anthropicMessages, anthropicCountTokens, anthropicSpanTypes } from './span-types.js';
export type { WrapOptions } from '../options.js';
export type { GenAiUsage } from '../genai.js';

type Loose = Record<string, unknown>;
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null;

/**
 * Returns `client`, the same object and type, with its model calls traced: each call of
 * `messages.create` (streamed or not, and so `messages.stream()` and `.parse`) is a span
 * `anthropic:messages`, each `messages.countTokens` a span `anthropic:count_tokens`, children of
 * the current span. Wrapping a client twice traces each call once. Throws a `PrefactorConfigError`
 * for bad options.
 */
export function wrapAnthropic<Client extends object>(client: Client, options?: WrapOptions): Client {
  const resolved = resolveWrapOptions('wrapAnthropic', options);
  if (!isObject(client)) invalidOption('client', 'an Anthropic client', client);
  const messages = (client as Loose)['messages'];
  const wrap = (spanType: typeof anthropicMessages | typeof anthropicCountTokens, recorder: () => CallRecorder) => (original: AnyFunction) =>
    function (this: unknown, ...args: unknown[]) {
      const body = args[0];
      if (!isObject(body)) return Reflect.apply(original, this, args);
      return traceCall({
        spanType: resolved.spanType ?? spanType,
        payload: requestPayload(resolved, body),
        streamed: body['stream'] === true,
        recorder: recorder(),
        invoke: () => Reflect.apply(original, this, args),
      invokeUntraced: () => Reflect.apply(original, this, args),
      });
    };
  patchMethod(messages, 'create', wrap(anthropicMessages, () => messagesRecorder(resolved.captureOutput)));
  patchMethod(messages, 'countTokens', wrap(anthropicCountTokens, () => countTokensRecorder));
  return client;
}
