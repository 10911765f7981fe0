/**
 * `prefactor-trace/openai`: `wrapOpenAI(client)` makes every model call of an OpenAI client a span.
 * Imports nothing from `openai` itself; works on any client generated like it (Azure included).
 */
import { invalidOption } from '../../util/option-checks.js';
import { resolveWrapOptions, requestPayload, type ResolvedWrapOptions, type WrapOptions } from '../options.js';
import { patchMethod, traceCall } from '../traced-call.js';
import { chatRecorder, embeddingsRecorder, responsesRecorder } from './results.js';
import { openaiChat, openaiEmbeddings, openaiResponses } from './span-types.js';

export { openaiChat, openaiEmbeddings, openaiResponses, openaiSpanTypes } from './span-types.js';
export type { WrapOptions } from '../options.js';
export type { GenAiUsage } from '../genai.js';

type Loose = Record<string, unknown>;
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null;

/**
 * Returns `client`, the same object and type, with its model calls traced: each call of
 * `chat.completions.create` (and so `.parse`, `.stream`, `.runTools`), `responses.create` (and
 * `.parse`, `.stream`) and `embeddings.create` is a span (`openai:chat`, `openai:responses`,
 * `openai:embeddings`), a child of the current span. Wrapping a client twice traces each call once.
 * Throws a `PrefactorConfigError` for bad options.
 */
export function wrapOpenAI<Client extends object>(client: Client, options?: WrapOptions): Client {
  const resolved = resolveWrapOptions('wrapOpenAI', options);
  if (!isObject(client)) invalidOption('client', 'an OpenAI client', client);
  const chat = (client as Loose)['chat'];
  patchMethod(isObject(chat) ? chat['completions'] : undefined, 'create', (original) => tracedChat(original, resolved));
  patchMethod((client as Loose)['responses'], 'create', (original) =>
    traced(original, resolved, openaiResponses, () => responsesRecorder(resolved.captureOutput)),
  );
  patchMethod((client as Loose)['embeddings'], 'create', (original) => traced(original, resolved, openaiEmbeddings, () => embeddingsRecorder));
  return client;
}

function traced(original: AnyFunction, options: ResolvedWrapOptions, spanType: typeof openaiResponses | typeof openaiEmbeddings, recorder: () => ReturnType<typeof responsesRecorder>): AnyFunction {
  return function (this: unknown, ...args: unknown[]) {
    const body = args[0];
    if (!isObject(body)) return Reflect.apply(original, this, args);
    return traceCall({
      spanType: options.spanType ?? spanType,
      payload: requestPayload(options, body),
      streamed: body['stream'] === true,
      recorder: recorder(),
      invoke: () => Reflect.apply(original, this, args),
      invokeUntraced: () => Reflect.apply(original, this, args),
    });
  };
}

/**
 * Chat completions. A stream whose request did not set `stream_options` is asked for its usage
 * (`include_usage`); the extra chunk is hidden from the caller, who gets what they asked for.
 */
function tracedChat(original: AnyFunction, options: ResolvedWrapOptions): AnyFunction {
  return function (this: unknown, ...args: unknown[]) {
    const body = args[0];
    if (!isObject(body)) return Reflect.apply(original, this, args);
    const streamed = body['stream'] === true;
    const askUsage = streamed && body['stream_options'] === undefined;
    const sent = askUsage ? [{ ...body, stream_options: { include_usage: true } }, ...args.slice(1)] : args;
    return traceCall({
      spanType: options.spanType ?? openaiChat,
      payload: requestPayload(options, body),
      streamed,
      recorder: chatRecorder(options.captureOutput, askUsage),
      invoke: () => Reflect.apply(original, this, sent),
      invokeUntraced: () => Reflect.apply(original, this, args),
    });
  };
}
