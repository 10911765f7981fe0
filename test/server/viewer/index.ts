import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { VIEWER_FILES, viewerAsset } from '../../../src/server/viewer/index.js';
import { withServer } from '../../fixtures/server.js';

/** A GET/HEAD with the path sent exactly as given (fetch would normalise `..`). */
function raw(url: string, method: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('the local server serves the viewer page and its files without a token, with a strict CSP', async (t) => {
  const server = await withServer(t);
  const requests: string[] = [];
  server.on('request', (info) => requests.push(info.path));
  for (const [path, type, file] of [
    ['/', 'text/html', 'index.html'],
    ['/index.html', 'text/html', 'index.html'],
    ['/viewer/app.js?v=1', 'text/javascript', 'app.js'],
    ['/viewer/style.css', 'text/css', 'style.css'],
  ] as const) {
    const response = await fetch(`${server.url}${path}`);
    t.equal(response.status, 200, path);
    t.match(response.headers.get('content-type'), type, path);
    t.match(response.headers.get('content-security-policy'), "default-src 'none'; script-src 'self'", path);
    t.equal(response.headers.get('x-content-type-options'), 'nosniff');
    t.equal(await response.text(), viewerAsset(file).toString('utf8'), path);
  }
  const head = await raw(server.url, 'HEAD', '/viewer/app.js');
  t.equal(head.status, 200);
  t.equal(head.headers['content-length'], String(viewerAsset('app.js').length));
  t.equal(head.body, '');
  t.same(requests, [], 'viewer files are not API requests: no request events');
});

t.test('everything else is the API: other methods, other paths, path tricks', async (t) => {
  const server = await withServer(t);
  for (const [method, path] of [
    ['POST', '/'],
    ['GET', '/viewer/'],
    ['GET', '/viewer/missing.js'],
    ['GET', '/viewer/../package.json'],
    ['GET', '/viewer/%2e%2e/index.ts'],
    ['GET', '/assets/app.js'],
  ] as const) {
    const response = await raw(server.url, method, path);
    t.equal(response.status, 401, `${method} ${path} goes to the API, which asks for the token`);
    t.match(response.headers['content-type'], 'application/json');
  }
});

t.test('the viewer is small, self-contained and every file the page loads is served', async (t) => {
  const html = viewerAsset('index.html').toString('utf8');
  for (const [, path] of html.matchAll(/(?:src|href)="(\/[^"]*)"/g)) {
    t.ok(VIEWER_FILES.includes(path!.replace('/viewer/', '')), `${path} is a viewer file`);
  }
  const gzipped = VIEWER_FILES.reduce((sum, file) => sum + gzipSync(viewerAsset(file)).length, 0);
  t.ok(gzipped < 200 * 1024, `the viewer is ${gzipped} bytes gzipped, under 200 KB`);
  for (const file of VIEWER_FILES) {
    t.notMatch(viewerAsset(file).toString('utf8'), /(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, `${file} loads nothing from another host`);
    t.notMatch(viewerAsset(file).toString('utf8'), /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, `${file} never parses strings as markup or code`);
  }
});
