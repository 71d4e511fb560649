// The loopback server's doors (main/core/api/middleware.ts): the same routes behind a second
// node:http server whose door is `local` (the user-only socket of docs/http-api.md) answer
// without a client key and record the caller as `cli`, while the TCP door still demands a key.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Server } from 'node:http';
import { startHarness, type Answer, type Harness } from './api-harness.js';
import { httpRequest } from '../support/http.js';

function callSocket(socketPath: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return httpRequest({ socketPath }, path, { method, headers });
}

describe('loopback server doors', () => {
  let h: Harness;
  let local: Server;
  let socketPath: string;

  before(async () => {
    h = await startHarness();
    await h.addProfile('redpanda', 'rp');
    socketPath = join(h.dir, 'api.sock');
    local = h.core.server.createListener({ kind: 'local' });
    await new Promise<void>((resolve) => local.listen(socketPath, resolve));
  });
  after(async () => {
    await h.close();
  });

  test('the local door answers without a key and records the caller as cli; TCP still needs a key', async () => {
    const tcp = await h.call('GET', '/v1/profiles/rp/token', { key: null });
    assert.equal(tcp.status, 401);

    const answer = await callSocket(socketPath, 'GET', '/v1/profiles/rp/token');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['cache-control'], 'no-store');
    const token = JSON.parse(answer.body) as { access_token: string };
    assert.equal(typeof token.access_token, 'string');
    const issued = h.core.engine.activity().filter((e) => e.kind === 'token-issued' && e.profileId === 'rp');
    assert.equal(issued.at(-1)?.client, 'cli');

    const list = await callSocket(socketPath, 'GET', '/v1/profiles');
    assert.deepEqual((JSON.parse(list.body) as { id: string }[]).map((p) => p.id), ['rp']);
    // The routes and their rules are the same: 404 for no such profile, 405 for a wrong method.
    assert.equal((await callSocket(socketPath, 'GET', '/v1/profiles/nope/token')).status, 404);
    assert.equal((await callSocket(socketPath, 'POST', '/v1/profiles/rp/token')).status, 405);
  });

  test('the local door still refuses what only a browser or a proxy sends', async () => {
    const refusedHeaders: Record<string, string>[] = [{ Origin: 'http://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }, { 'X-Forwarded-For': '10.0.0.1' }];
    for (const headers of refusedHeaders) {
      const answer = await callSocket(socketPath, 'GET', '/v1/profiles', headers);
      assert.equal(answer.status, 403, JSON.stringify(headers));
      assert.match(String(answer.headers['content-type']), /application\/problem\+json/);
    }
  });

  test('the dashboard RPC still needs the dashboard session at the local door', async () => {
    const answer = await callSocket(socketPath, 'POST', '/ui/rpc/profiles:list', { 'Content-Type': 'application/json' });
    assert.equal(answer.status, 401);
  });

  test('closing the server closes the local listener too', async () => {
    await h.core.server.close();
    assert.equal(local.listening, false);
  });
});
