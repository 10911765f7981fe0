/**
 * Where the SDK says what happens: retries at `debug`, fallbacks at `info`, drops at `warn`,
 * failures it cannot recover from at `error`. Pass any object with these four methods (`console`
 * works); `logger: false` silences the SDK.
 */
export interface Logger {
  debug(message: string, details?: Record<string, unknown>): void;
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** A logger that discards everything (`logger: false`). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * The default logger: warnings and errors to stderr, prefixed `[prefactor-trace]`; the same message
 * is written at most once per `throttleMs`, and the next one written says how many were held back.
 */
export function createStderrLogger(throttleMs = 10_000): Logger {
  const lastWritten = new Map<string, { at: number; suppressed: number }>();
  const write = (level: string, message: string, details?: Record<string, unknown>): void => {
    const now = Date.now();
    const seen = lastWritten.get(message);
    if (seen && now - seen.at < throttleMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    lastWritten.set(message, { at: now, suppressed: 0 });
    if (lastWritten.size > 1000) lastWritten.clear();
    const extra = suppressed > 0 ? ` (${suppressed} more like this held back)` : '';
    const detail = details && Object.keys(details).length > 0 ? ` ${safeJson(details)}` : '';
    process.stderr.write(`[prefactor-trace] ${level}: ${message}${extra}${detail}\n`);
  };
  return {
    debug: noop,
    info: noop,
    warn: (message, details) => write('warn', message, details),
    error: (message, details) => write('error', message, details),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '[unserialisable details]';
  }
}

/** Resolves the `logger` option: `undefined` -> stderr logger, `false` -> silent, else the user's. */
export function resolveLogger(option: Logger | false | undefined): Logger {
  if (option === false) return silentLogger;
  if (option === undefined) return createStderrLogger();
  return option;
}

/**
 * Calls a user-supplied logger method without letting it throw into the SDK (a logger is user code).
 */
export function safeLog(logger: Logger, level: keyof Logger, message: string, details?: Record<string, unknown>): void {
  try {
    // Without details, the message alone: `console.warn(message, undefined)` would print "undefined".
    if (details === undefined) logger[level](message);
    else logger[level](message, details);
  } catch {
    // A throwing logger must not break delivery or the host program; there is nowhere left to report it.
  }
}
