import { once } from 'node:events';
import { request } from 'node:http';
import t from 'tap';
import { TokenCheck } from '../../src/server/auth.js';
import { withServer } from '../fixtures/server.js';

t.test('TokenCheck matches the bearer token in any case of the scheme, and nothing else', async (t) => {
  const check = new TokenCheck(new Map([['right-token', 'a'], ['other-token', 'b']]));
  t.equal(check.match('Bearer right-token'), 'a');
  t.equal(check.match('bearer right-token'), 'a');
  t.equal(check.match('BEARER  other-token '), 'b');
  for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic right-token', 'Bearer right-toke', 'Bearer right-tokenx', 'Bearer right token', 'Bearerright-token']) {
    t.equal(check.match(header), undefined, String(header));
  }
});

t.test('the server accepts `bearer` in any case and refuses a wrong token of the same length', async (t) => {
  const server = await withServer(t, { token: 'right-token' });
  const ping = (authorization: string) => fetch(`${server.url}/api/v1/ping`, { headers: { authorization } }).then((r) => r.status);
  t.equal(await ping('bearer right-token'), 200);
  t.equal(await ping('BEARER right-token'), 200);
  t.equal(await ping('Bearer wrong-token'), 401);
  t.equal(await ping('Bearer right-tokem'), 401);
});

t.test('an unauthenticated upload is answered 401 before its body is read, and its connection closed', async (t) => {
  const server = await withServer(t);
  const declared = 60 * 1024 * 1024;
  const statuses: Array<number | null> = [];
  server.on('request', (info) => statuses.push(info.status));
  // Eight clients each declare 60 MB, send 64 KiB, then wait for the answer without sending more.
  const uploads = Array.from({ length: 8 }, async () => {
    const req = request(`${server.url}/api/v1/bulk`, { method: 'POST', headers: { 'content-length': String(declared), 'content-type': 'application/json' } });
    req.on('error', () => {});
    req.write(Buffer.alloc(64 * 1024, 0x20));
    const [response] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    // The server closes the connection: the 60 MB are never read.
    const socket = req.socket!;
    if (!socket.destroyed) await once(socket, 'close');
    return { status: response.statusCode, connection: response.headers.connection, body: JSON.parse(Buffer.concat(chunks).toString()) as { code: string } };
  });
  for (const result of await Promise.all(uploads)) {
    t.equal(result.status, 401);
    t.equal(result.connection, 'close');
    t.equal(result.body.code, 'unauthorized');
  }
  t.same(statuses, Array(8).fill(401));
});
