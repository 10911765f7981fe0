import type { IncomingMessage } from 'node:http';

/** Bytes of request bodies held at once, across requests. */
export class BodyBudget {
  readonly maxBytes: number;
  #used = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Takes `bytes` from the budget; `false` (nothing taken) when they do not fit. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.maxBytes) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used -= bytes;
  }

  /** Bytes held now. */
  get usedBytes(): number {
    return this.#used;
  }
}

/** Why a body was refused: over the per-request limit, over the shared budget, or nested too deep. */
export type BodyRefusal = 'too_large' | 'busy' | 'too_deep';

/** A body read whole (`bytes` taken from the budget until the caller releases them), or a refusal. */
export type BodyResult = { text: string; bytes: number } | { refused: BodyRefusal };

export interface BodyLimits {
  maxBytes: number;
  budget: BodyBudget;
  maxDepth: number;
}

/**
 * Reads a request body within `limits`: a `Content-Length` over `maxBytes` is refused before a byte
 * is read; otherwise each chunk is counted against `maxBytes` and the shared budget, and scanned for
 * nesting depth as it arrives, so a refusal comes as soon as a limit is crossed. After a refusal the
 * rest of the body is discarded unread. Rejects when the client goes away mid-body.
 */
export function readBody(request: IncomingMessage, limits: BodyLimits): Promise<BodyResult> {
  const declared = Number(request.headers['content-length']);
  if (declared > limits.maxBytes) return Promise.resolve({ refused: 'too_large' });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const depth = new DepthScanner(limits.maxDepth);
    let size = 0;
    const stop = (refusal: BodyRefusal): void => {
      request.removeListener('data', onData);
      limits.budget.release(size);
      resolve({ refused: refusal });
    };
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > limits.maxBytes) return stop('too_large');
      if (!limits.budget.take(chunk.length)) return stop('busy');
      size += chunk.length;
      if (!depth.feed(chunk)) return stop('too_deep');
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => resolve({ text: Buffer.concat(chunks, size).toString('utf8'), bytes: size }));
    request.on('error', (error) => {
      limits.budget.release(size);
      reject(error);
    });
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Tracks the nesting depth of JSON text fed in chunks, outside strings. Byte-wise is safe for UTF-8:
 * the bytes of a multi-byte character are all >= 0x80. Malformed JSON is left to `JSON.parse`.
 */
export class DepthScanner {
  #maxDepth: number;
  #depth = 0;
  #inString = false;
  #escaped = false;

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
  }

  /** Scans `chunk`; `false` once the depth has gone over the maximum. */
  feed(chunk: Uint8Array): boolean {
    let depth = this.#depth;
    let inString = this.#inString;
    let escaped = this.#escaped;
    const max = this.#maxDepth;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) inString = false;
      } else if (byte === QUOTE) {
        inString = true;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        if (++depth > max) return false;
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth--;
      }
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
    return true;
  }
}
