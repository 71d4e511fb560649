// The loopback API's endpoints (docs/http-api.md) over real HTTP, with the real engine, file store and
// keychain, against local provider servers that behave like the seeds' token endpoints.
import assert from 'node:assert/strict';
import { createServer, Agent, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ActivityEntry, ProfileStatus, TokenResponse } from '../../common/contract.js';
import { corsHeaders, openEvents, startHarness, type Harness } from './api-harness.js';

function json<T>(body: string): T {
  return JSON.parse(body) as T;
}

describe('loopback API endpoints', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('GET /v1/health answers without a key, with no-store and no CORS header', async () => {
    const answer = await h.call('GET', '/v1/health', { key: null });
    assert.equal(answer.status, 200);
    assert.deepEqual(json(answer.body), { status: 'ok', version: '9.9.9-test' });
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.deepEqual(corsHeaders(answer.headers), []);
  });

  test('token, headers and refresh hand out exactly what the token server issued', async () => {
    const server = await h.addProfile('redpanda', 'rp');
    const token = await h.call('GET', '/v1/profiles/rp/token');
    assert.equal(token.status, 200, token.body);
    assert.equal(token.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(token.headers['cache-control'], 'no-store');
    const body = json<TokenResponse>(token.body);
    const issued = server.issued.at(-1);
    assert.ok(issued);
    assert.equal(body.access_token, issued.accessToken);
    assert.equal(body.token_type, 'Bearer');
    assert.ok(body.expires_in !== null && body.expires_in > 3000 && body.expires_in <= 3600);
    assert.ok(body.expires_at !== null && Date.parse(body.expires_at) > Date.now());

    const headers = await h.call('GET', '/v1/profiles/rp/headers');
    assert.equal(headers.status, 200);
    assert.deepEqual(json(headers.body), { Authorization: `Bearer ${issued.accessToken}` });

    const before = server.tokenRequestCount();
    const refreshed = await h.call('POST', '/v1/profiles/rp/refresh');
    assert.equal(refreshed.status, 200, refreshed.body);
    assert.equal(server.tokenRequestCount(), before + 1);
    const fresh = json<TokenResponse>(refreshed.body);
    assert.equal(fresh.access_token, server.issued.at(-1)?.accessToken);
    assert.notEqual(fresh.access_token, issued.accessToken);

    // Every token handed out is in the activity log with the key's name (docs/http-api.md).
    const issuedEntries = h.core.engine.activity().filter((e: ActivityEntry) => e.kind === 'token-issued' && e.profileId === 'rp');
    // Exactly one entry per token: token, headers, refresh (the engine records them; none is doubled).
    assert.equal(issuedEntries.length, 3);
    assert.ok(issuedEntries.every((e) => e.client === 'tester'));

    assert.equal((await h.call('GET', '/v1/profiles/rp/refresh')).status, 405);
    assert.equal((await h.call('POST', '/v1/profiles/rp/token')).status, 405);
  });

  test('GET /v1/profiles lists states and request counts, never a secret or token', async () => {
    const answer = await h.call('GET', '/v1/profiles');
    assert.equal(answer.status, 200);
    const list = json<ProfileStatus[]>(answer.body);
    const rp = list.find((s) => s.id === 'rp');
    assert.ok(rp);
    assert.equal(rp.provider, 'redpanda');
    assert.equal(rp.state, 'fresh');
    assert.ok(rp.requestsLastHour >= 2);
    const server = h.servers[0];
    assert.ok(server);
    assert.ok(!answer.body.includes(server.credentials.clientSecret));
    for (const t of server.issued) assert.ok(!answer.body.includes(t.accessToken));
  });

  test('an unknown profile is 404 and a failing provider is 503 with a hint, as problem+json', async () => {
    const missing = await h.call('GET', '/v1/profiles/nope/token');
    assert.equal(missing.status, 404);
    assert.match(String(missing.headers['content-type']), /^application\/problem\+json/);
    const problem = json<{ type: string; title: string; status: number; detail: string }>(missing.body);
    assert.equal(problem.status, 404);
    assert.ok(problem.type && problem.title && problem.detail);

    const server = await h.addProfile('acquia', 'bad-creds');
    server.setMode('invalid_client');
    await h.core.engine.invalidate('bad-creds');
    const failed = await h.call('POST', '/v1/profiles/bad-creds/refresh');
    assert.equal(failed.status, 503, failed.body);
    const info = json<{ status: number; detail: string; hint?: string }>(failed.body);
    assert.equal(info.status, 503);
    assert.ok(info.hint !== undefined && info.hint.length > 0);
    assert.ok(!failed.body.includes(server.credentials.clientSecret));
    server.setMode('ok');
  });

  test('1,000 concurrent /token requests on an expired profile cause one upstream request', async () => {
    const server = await h.addProfile('camunda-console', 'crowd');
    await h.call('GET', '/v1/profiles/crowd/token');
    // Pause so the background scheduler stays out, then make the token unusable.
    await h.core.engine.setPaused('crowd', true);
    h.core.engine.invalidate('crowd');
    await h.core.engine.setPaused('crowd', false);
    const before = server.tokenRequestCount();
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const answers = await Promise.all(Array.from({ length: 1000 }, () => h.call('GET', '/v1/profiles/crowd/token', { agent })));
    agent.destroy();
    assert.ok(answers.every((a) => a.status === 200), answers.find((a) => a.status !== 200)?.body);
    assert.equal(server.tokenRequestCount(), before + 1);
    const tokens = new Set(answers.map((a) => json<TokenResponse>(a.body).access_token));
    assert.deepEqual([...tokens], [server.issued.at(-1)?.accessToken]);
  });

  test('a short-lived token polled for half a minute is never expired when handed out', { timeout: 120_000 }, async () => {
    const server = await h.addProfile('oauth2', 'short', {}, 3);
    const started = Date.now();
    let polls = 0;
    const seen = new Set<string>();
    while (Date.now() - started < 30_000) {
      const answer = await h.call('GET', '/v1/profiles/short/token');
      const receivedAt = Date.now();
      assert.equal(answer.status, 200, answer.body);
      const body = json<TokenResponse>(answer.body);
      const issued = server.issued.find((t) => t.accessToken === body.access_token);
      assert.ok(issued, 'handed out a token the server never issued');
      assert.ok(issued.expiresAt > receivedAt, `token expired ${receivedAt - issued.expiresAt} ms before it was handed out`);
      seen.add(body.access_token);
      polls += 1;
      await delay(25);
    }
    // 30 s of 3 s tokens: the engine renewed many times, and every answer was valid.
    assert.ok(seen.size >= 8, `only ${seen.size} distinct tokens`);
    assert.ok(polls > 100);
  });

  test('the proxy attaches the profile headers: bearer, sendcloud basic and Operate cookie', async () => {
    const bearer = await h.addProfile('redpanda', 'proxy-bearer');
    const viaBearer = await h.call('GET', '/v1/proxy/proxy-bearer/whoami');
    assert.equal(viaBearer.status, 200, viaBearer.body);
    assert.equal(json<{ clientId: string }>(viaBearer.body).clientId, bearer.credentials.clientId);

    const basic = await h.addProfile('sendcloud', 'proxy-basic', { provider: 'sendcloud-basic', tokenUrl: undefined });
    const viaBasic = await h.call('GET', '/v1/proxy/proxy-basic/whoami');
    assert.equal(viaBasic.status, 200, viaBasic.body);
    assert.equal(basic.tokenRequestCount(), 0);

    const cookie = await h.addProfile('camunda-operate-cookie', 'proxy-cookie');
    const viaCookie = await h.call('GET', '/v1/proxy/proxy-cookie/whoami');
    assert.equal(viaCookie.status, 200, viaCookie.body);
    assert.equal(cookie.apiCalls.at(-1)?.status, 200);
    // The caller's own key never reaches the API: whoami would have answered 401 to it.
    assert.equal(viaCookie.headers['cache-control'], 'no-store');
  });

  test('a 401 from the API triggers one refresh and one retry', async () => {
    const server = await h.addProfile('redpanda', 'proxy-retry');
    assert.equal((await h.call('GET', '/v1/proxy/proxy-retry/whoami')).status, 200);
    const before = server.tokenRequestCount();
    const callsBefore = server.apiCalls.length;
    server.revokeAll();
    const answer = await h.call('GET', '/v1/proxy/proxy-retry/whoami');
    assert.equal(answer.status, 200, answer.body);
    assert.equal(server.tokenRequestCount(), before + 1);
    assert.deepEqual(server.apiCalls.slice(callsBefore).map((c) => c.status), [401, 200]);
  });

  describe('proxy forwarding', () => {
    let api: Server;
    let apiUrl: string;
    const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
    before(async () => {
      // A stand-in for the provider's API that echoes what reached it and answers with headers the
      // proxy must not pass on.
      api = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          res.writeHead(req.url?.includes('status=201') ? 201 : 200, {
            'Content-Type': 'application/json',
            'Access-Control-Allow-Origin': '*',
            'Set-Cookie': 'upstream=1',
            'X-Upstream': 'yes',
            Connection: 'close',
          });
          res.end(JSON.stringify({ echoed: Buffer.concat(chunks).length }));
        });
      });
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/base/v2`;
    });
    after(async () => {
      api.closeAllConnections();
      await new Promise<void>((resolve) => api.close(() => resolve()));
    });

    test('path, query and body go through; caller credentials and hop-by-hop headers do not', async () => {
      const server = await h.addProfile('redpanda', 'echo', { apiUrl });
      const body = 'x'.repeat(3 * 1024 * 1024);
      const answer = await h.call('POST', '/v1/proxy/echo/items/a%20b?status=201&q=1', {
        body,
        headers: {
          'Content-Type': 'text/plain',
          Cookie: 'mine=secret',
          'Proxy-Authorization': 'Basic abc',
          Connection: 'X-Drop-Me',
          'X-Drop-Me': '1',
          'X-Keep': 'kept',
        },
      });
      assert.equal(answer.status, 201, answer.body);
      assert.deepEqual(json(answer.body), { echoed: body.length });
      assert.equal(answer.headers['x-upstream'], 'yes');
      assert.equal(answer.headers['set-cookie'], undefined);
      assert.deepEqual(corsHeaders(answer.headers), []);
      assert.equal(answer.headers['cache-control'], 'no-store');
      const got = seen.at(-1);
      assert.ok(got);
      assert.equal(got.method, 'POST');
      assert.equal(got.url, '/base/v2/items/a%20b?status=201&q=1');
      assert.equal(got.headers.authorization, `Bearer ${server.issued.at(-1)?.accessToken}`);
      assert.equal(got.headers.cookie, undefined);
      assert.equal(got.headers['proxy-authorization'], undefined);
      assert.equal(got.headers['x-drop-me'], undefined);
      assert.equal(got.headers['x-keep'], 'kept');
      assert.equal(got.headers.host, new URL(apiUrl).host);
      assert.equal(got.body.length, body.length);
    });
  });

  test('SSE on /v1/events delivers a state change', async () => {
    await h.addProfile('redpanda', 'sse');
    await h.call('GET', '/v1/profiles/sse/token');
    const stream = await openEvents(h.port, { Authorization: `Bearer ${h.key}` });
    assert.equal(stream.status, 200);
    assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
    assert.equal(stream.headers['cache-control'], 'no-store');
    assert.deepEqual(corsHeaders(stream.headers), []);
    const paused = stream.next((e) => e.type === 'profile' && e.status.id === 'sse' && e.status.state === 'paused');
    await h.core.engine.setPaused('sse', true);
    const event = await paused;
    assert.equal(event.type, 'profile');
    stream.close();
    await h.core.engine.setPaused('sse', false);
  });
});
