import { VERSION } from '../version.js';

/** This SDK's own entry of the `X-Prefactor-SDK` header. */
export const SDK_HEADER_ENTRY = `prefactor-trace@${VERSION}`;

/**
 * The `X-Prefactor-SDK` header value: `prefactor-trace@<version>`, after an upstream entry (an adapter built
 * on this SDK, e.g. `my-adapter@1.2.0`) separated by a space, as Python's `sdk_header` does.
 */
export function buildSdkHeader(upstream?: string): string {
  const trimmed = upstream?.trim();
  return trimmed ? `${trimmed} ${SDK_HEADER_ENTRY}` : SDK_HEADER_ENTRY;
}
