/**
 * How an error (or any thrown value) becomes text in a message or a log line, in one place. Never
 * throws, even for a value whose getters or `toString` do.
 *
 * - `'message'`: the error's message (`String(value)` for a non-Error);
 * - `'summary'`: `name: message`;
 * - `'stack'`: the stack when there is one, for an `error` log line.
 */
export function errorText(error: unknown, detail: 'message' | 'summary' | 'stack' = 'summary'): string {
  try {
    if (!(error instanceof Error)) return String(error);
    if (detail === 'message') return error.message;
    if (detail === 'stack' && error.stack !== undefined) return error.stack;
    return `${error.name}: ${error.message}`;
  } catch {
    return 'an undescribable value';
  }
}
