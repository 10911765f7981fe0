import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The browser viewer's static files, shipped in the package beside this module (`npm run build`
 * copies `assets/` to `dist/server/viewer/assets/`). They hold no data and need no token: the page
 * reads the API's read routes with the token the user gives it.
 */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/viewer/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/viewer/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** The files the viewer serves (their names under `assets/`). */
export const VIEWER_FILES: readonly string[] = [...new Set(Object.values(ASSETS).map((asset) => asset.file))];

/**
 * Only this server's own files run, and nothing reaches outside it: a payload that gets into the page
 * as markup would still not run (the page renders payloads as text; this is the second line).
 */
const HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

const cache = new Map<string, Buffer>();

/** The bytes of one viewer file, read once. */
export function viewerAsset(file: string): Buffer {
  let bytes = cache.get(file);
  if (!bytes) {
    bytes = readFileSync(new URL(`assets/${file}`, import.meta.url));
    cache.set(file, bytes);
  }
  return bytes;
}

/**
 * Answers a `GET`/`HEAD` of a viewer page or file and returns `true`; returns `false` (nothing sent)
 * for every other request, which the API routes then handle.
 */
export function serveViewer(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  // A server-side request always has a url.
  const path = request.url!.split('?', 1)[0]!;
  const asset = ASSETS[path];
  if (!asset) return false;
  const bytes = viewerAsset(asset.file);
  response.writeHead(200, { ...HEADERS, 'Content-Type': asset.type, 'Content-Length': bytes.length });
  response.end(request.method === 'HEAD' ? undefined : bytes);
  return true;
}
