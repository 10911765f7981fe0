import { createHash, timingSafeEqual } from 'node:crypto';

/** `Authorization: Bearer <token>`, the scheme in any case (RFC 9110: schemes are case-insensitive). */
const BEARER = /^[ \t]*bearer[ \t]+(\S+)[ \t]*$/i;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * A check of `Authorization` headers against a set of tokens. Compares SHA-256 digests with
 * `timingSafeEqual`, so the time taken says nothing about how much of a token was right (digests
 * have one length, which `timingSafeEqual` needs, and hide the token's length too).
 */
export class TokenCheck<T> {
  #tokens: Array<{ digest: Buffer; value: T }>;

  constructor(tokens: ReadonlyMap<string, T>) {
    this.#tokens = [...tokens].map(([token, value]) => ({ digest: digest(token), value }));
  }

  /** What the header's token stands for, or `undefined` when the header is missing, malformed or wrong. */
  match(header: string | undefined): T | undefined {
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined) return undefined;
    const given = digest(token);
    let found: T | undefined;
    // Every token is compared, so which one matched does not show in the time taken either.
    for (const entry of this.#tokens) if (timingSafeEqual(entry.digest, given)) found = entry.value;
    return found;
  }
}
