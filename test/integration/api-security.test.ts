// Attacks on the loopback API (docs/http-api.md), each refused with the right status, with nothing
// useful in the answer: no token, no secret, no key, no CORS grant, and Cache-Control: no-store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProfileStatus } from '../../common/contract.js';
import { join } from 'node:path';
import { openFileStore } from '../../main/node/file-store.js';
import { corsHeaders, linkToken, loginDashboard, openEvents, rawRequest, redeemLink, startHarness, type Answer, type Harness } from './api-harness.js';
import type { ProviderServer } from '../support/servers/index.js';

describe('loopback API refusals', () => {
  let h: Harness;
  let server: ProviderServer;
  let limitedKey: string;
  const answers: Answer[] = [];

  before(async () => {
    h = await startHarness({ dashboard: true });
    server = await h.addProfile('redpanda', 'allowed');
    await h.addProfile('acquia', 'other');
    limitedKey = await h.addKey('limited', ['allowed']);
    // A token exists, so a leak would have something to leak.
    assert.equal((await h.call('GET', '/v1/profiles/allowed/token')).status, 200);
    assert.equal((await h.call('GET', '/v1/profiles/other/token')).status, 200);
  });
  after(async () => {
    // Nothing refused may carry a token, a secret or a key, or grant CORS.
    const secrets = [
      h.key,
      limitedKey,
      server.credentials.clientSecret,
      ...h.servers.flatMap((s) => s.issued.map((t) => t.accessToken)),
    ];
    for (const answer of answers) {
      for (const secret of secrets) assert.ok(!answer.body.includes(secret), `answer ${answer.status} leaks a secret`);
      assert.deepEqual(corsHeaders(answer.headers), []);
      assert.equal(answer.headers['cache-control'], 'no-store');
      assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
    }
    await h.close();
  });

  const refused = async (expected: number, method: string, path: string, options: Parameters<Harness['call']>[2] = {}): Promise<Answer> => {
    const answer = await h.call(method, path, options);
    assert.equal(answer.status, expected, answer.body);
    const problem = JSON.parse(answer.body) as { status: number; title: string; detail: string; type: string };
    assert.equal(problem.status, expected);
    assert.ok(problem.title.length > 0 && problem.detail.length > 0 && problem.type.length > 0);
    answers.push(answer);
    return answer;
  };

  test('no key, a wrong key and a malformed header are 401', async () => {
    const none = await refused(401, 'GET', '/v1/profiles/allowed/token', { key: null });
    assert.match(String(none.headers['www-authenticate']), /^Bearer/);
    await refused(401, 'GET', '/v1/profiles/allowed/token', { key: 'ttk_not-a-real-key' });
    await refused(401, 'GET', '/v1/profiles', { key: null, headers: { Authorization: `Basic ${h.key}` } });
    await refused(401, 'GET', '/v1/events', { key: null });
  });

  test('a revoked key is 401', async () => {
    const key = await h.addKey('short-lived', null);
    assert.equal((await h.call('GET', '/v1/profiles/allowed/token', { key })).status, 200);
    assert.deepEqual(await h.core.rpc['clients:remove']('short-lived'), { removed: true });
    await refused(401, 'GET', '/v1/profiles/allowed/token', { key });
  });

  test('a key revoked by another process (the CLI) stops working within about a second', async () => {
    const key = await h.addKey('revoked-elsewhere', null);
    // Accepted once, so this server's snapshot holds it as an accepted key.
    assert.equal((await h.call('GET', '/v1/profiles/allowed/token', { key })).status, 200);
    const { store: other } = openFileStore(join(h.dir, 'config'));
    try {
      assert.equal(other.removeClient('revoked-elsewhere'), true);
    } finally {
      other.close();
    }
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 5000) {
      status = (await h.call('GET', '/v1/profiles/allowed/token', { key })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 401);
    // The snapshot lives at most a second, whether or not the file watcher has noticed yet.
    assert.ok(Date.now() - revokedAt < 3000, `still accepted after ${Date.now() - revokedAt} ms`);
  });

  test('the key scheme is case-insensitive; a key not separated from it, or an empty one, is 401', async () => {
    for (const header of [`bearer ${h.key}`, `BEARER\t${h.key}`, `Bearer   ${h.key}  `]) {
      assert.equal((await h.call('GET', '/v1/profiles/allowed/token', { key: null, headers: { Authorization: header } })).status, 200, header);
    }
    for (const header of [`Bearer${h.key}`, 'Bearer ', 'Bearer', `Token ${h.key}`, `Bearer ${h.key}x`, `Bearer ${h.key.slice(0, -1)}`]) {
      await refused(401, 'GET', '/v1/profiles/allowed/token', { key: null, headers: { Authorization: header } });
    }
  });

  test('every header line counts: a second Host, Origin or Authorization is 400, any cross-site Sec-Fetch-Site line is refused', async () => {
    const host = `Host: 127.0.0.1:${h.port}\r\n`;
    const auth = `Authorization: Bearer ${h.key}\r\n`;
    const send = (lines: string): ReturnType<typeof rawRequest> =>
      rawRequest(h.port, `GET /v1/profiles/allowed/token HTTP/1.1\r\n${lines}Connection: close\r\n\r\n`);
    // The control: the same request with each line once is answered.
    assert.equal((await send(host + auth)).status, 200);
    // Names in any case are the same header.
    assert.equal((await send(`hOsT: 127.0.0.1:${h.port}\r\nAUTHORIZATION: Bearer ${h.key}\r\n`)).status, 200);
    for (const lines of [
      host + `Host: evil.example\r\n` + auth,
      `Host: evil.example\r\n` + host + auth,
      host + auth + `Authorization: Bearer ttk_other\r\n`,
      host + auth + `Origin: http://127.0.0.1:${h.port}\r\nOrigin: http://evil.example\r\n`,
    ]) {
      const answer = await send(lines);
      assert.equal(answer.status, 400, lines);
      assert.match(answer.head, /more than one (Host|Authorization|Origin) header/);
    }
    for (const lines of [
      host + auth + `Sec-Fetch-Site: same-origin\r\nSec-Fetch-Site: cross-site\r\n`,
      host + auth + `sec-fetch-site: Same-Site\r\n`,
      host + auth + `x-forwarded-for: 203.0.113.7\r\n`,
      host + auth + `Forwarded: for=203.0.113.7\r\n`,
    ]) {
      const answer = await send(lines);
      assert.equal(answer.status, 403, lines);
      assert.doesNotMatch(answer.head, /access_token|access-control-/i);
    }
  });

  test('a key limited to another profile gets 403, and sees only its own profiles', async () => {
    assert.equal((await h.call('GET', '/v1/profiles/allowed/token', { key: limitedKey })).status, 200);
    await refused(403, 'GET', '/v1/profiles/other/token', { key: limitedKey });
    await refused(403, 'GET', '/v1/profiles/other/headers', { key: limitedKey });
    await refused(403, 'POST', '/v1/profiles/other/refresh', { key: limitedKey });
    await refused(403, 'GET', '/v1/proxy/other/whoami', { key: limitedKey });
    // 403, not 404, for a profile that does not exist either: a limited key cannot probe for ids.
    await refused(403, 'GET', '/v1/profiles/does-not-exist/token', { key: limitedKey });
    await refused(403, 'POST', '/v1/dashboard-link', { key: limitedKey });
    const list = JSON.parse((await h.call('GET', '/v1/profiles', { key: limitedKey })).body) as ProfileStatus[];
    assert.deepEqual(list.map((s) => s.id), ['allowed']);

    // Its event stream only carries its own profile.
    const stream = await openEvents(h.port, { Authorization: `Bearer ${limitedKey}` });
    const seen: string[] = [];
    const allowedPaused = stream.next((e) => {
      if (e.type === 'profile') seen.push(e.status.id);
      return e.type === 'profile' && e.status.id === 'allowed' && e.status.state === 'paused';
    });
    await h.core.engine.setPaused('other', true);
    await h.core.engine.setPaused('allowed', true);
    await allowedPaused;
    stream.close();
    assert.ok(!seen.includes('other'));
    await h.core.engine.setPaused('other', false);
    await h.core.engine.setPaused('allowed', false);
  });

  test('a foreign Host (DNS rebinding) is refused, also for /v1/health', async () => {
    await refused(403, 'GET', '/v1/profiles/allowed/token', { headers: { Host: 'evil.example' } });
    await refused(403, 'GET', '/v1/profiles/allowed/token', { headers: { Host: `127.0.0.1.nip.io:${h.port}` } });
    await refused(403, 'GET', '/v1/health', { key: null, headers: { Host: `evil.example:${h.port}` } });
    await refused(403, 'GET', '/v1/health', { key: null, headers: { Host: '127.0.0.1:1' } });
    for (const host of [`localhost:${h.port}`, `[::1]:${h.port}`, `127.0.0.1:${h.port}`]) {
      assert.equal((await h.call('GET', '/v1/health', { key: null, headers: { Host: host } })).status, 200, host);
    }
  });

  test('a foreign Origin, a cross-site or same-site fetch and a relayed request are refused', async () => {
    await refused(403, 'GET', '/v1/profiles/allowed/token', { headers: { Origin: 'http://evil.example' } });
    await refused(403, 'GET', '/v1/profiles/allowed/token', { headers: { Origin: 'null' } });
    await refused(403, 'GET', '/v1/profiles/allowed/token', { headers: { Origin: `http://localhost:${h.port + 1}` } });
    await refused(403, 'GET', '/v1/profiles/allowed/token', { headers: { 'Sec-Fetch-Site': 'cross-site' } });
    await refused(403, 'GET', '/v1/profiles/allowed/token', { headers: { 'Sec-Fetch-Site': 'same-site' } });
    await refused(403, 'GET', '/v1/profiles/allowed/token', { headers: { 'X-Forwarded-For': '203.0.113.7' } });
    // The dashboard's own origin is allowed.
    const own = await h.call('GET', '/v1/profiles/allowed/token', { headers: { Origin: `http://127.0.0.1:${h.port}`, 'Sec-Fetch-Site': 'same-origin' } });
    assert.equal(own.status, 200);
    assert.deepEqual(corsHeaders(own.headers), []);
  });

  test('a 1 MB header is refused with 431', async () => {
    const big = 'a'.repeat(1024 * 1024);
    const answer = await rawRequest(h.port, `GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nX-Big: ${big}\r\n\r\n`);
    assert.equal(answer.status, 431);
    assert.match(answer.head, /^HTTP\/1\.1 431 Request header fields too large\r\n/);
    assert.match(answer.head, /content-type: application\/problem\+json/i);
    assert.match(answer.head, /cache-control: no-store/i);
    assert.doesNotMatch(answer.head, /access-control-/i);
  });

  test('path traversal in a proxy path is refused with 400', async () => {
    for (const path of ['/v1/proxy/allowed/..%2f..%2fadmin', '/v1/proxy/allowed/%2e%2e/admin', '/v1/proxy/allowed/a/%2E%2E/b',
      '/v1/proxy/allowed/a/../b', '/v1/proxy/allowed/a%5c..%5cb', '/v1/proxy/allowed/%252e%252e/x', '/v1/proxy/allowed/./x']) {
      await refused(400, 'GET', path);
    }
    assert.equal(server.apiCalls.length, 0);
  });

  test('a login link works once; a reused or unknown link is refused', async () => {
    const token = linkToken(h.core.server.createLoginLink());
    const first = await redeemLink(h, token);
    assert.equal(first.status, 200);
    // No redirect any more: the page's own script redeemed the link and gets the secret in the body.
    assert.equal(first.headers.location, undefined);
    const secret = (JSON.parse(first.body) as { session: string }).session;
    assert.match(secret, /^[A-Za-z0-9_-]{40,}$/);
    const cookie = String(first.headers['set-cookie']);
    assert.match(cookie, /^tokentray_session=[A-Za-z0-9_-]{40,};/);
    assert.ok(!cookie.includes(secret), 'the cookie is not the header secret');
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.deepEqual(corsHeaders(first.headers), []);
    assert.equal(first.headers['cache-control'], 'no-store');
    const post = (t: string, headers: Record<string, string> = {}) => ({
      key: null,
      headers: { 'Content-Type': 'application/json', Origin: `http://127.0.0.1:${h.port}`, ...headers },
      body: JSON.stringify({ token: t }),
    });
    await refused(403, 'POST', '/ui/login', post(token));
    await refused(401, 'POST', '/ui/login', post('made-up'));
    await refused(401, 'POST', '/ui/rpc/profiles:list', { key: null, headers: { 'Content-Type': 'application/json' }, body: '[]' });
  });

  test('a login link is redeemed only by a same-origin script: no Origin, another port, a form or a GET do not', async () => {
    const token = linkToken(h.core.server.createLoginLink());
    const body = JSON.stringify({ token });
    // curl-like (no Origin), another loopback port, another site, a cross-site fetch, a form post.
    await refused(403, 'POST', '/ui/login', { key: null, headers: { 'Content-Type': 'application/json' }, body });
    await refused(403, 'POST', '/ui/login', { key: null, headers: { 'Content-Type': 'application/json', Origin: `http://127.0.0.1:${h.port + 1}` }, body });
    await refused(403, 'POST', '/ui/login', { key: null, headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body });
    await refused(403, 'POST', '/ui/login', { key: null, headers: { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'same-site' }, body });
    await refused(415, 'POST', '/ui/login', { key: null, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: `http://127.0.0.1:${h.port}` }, body: `token=${token}` });
    // The old query form and the page itself redeem nothing.
    assert.equal((await h.call('GET', `/ui/login?token=${token}`, { key: null })).headers['set-cookie'], undefined);
    // None of that used the link up: the dashboard's own script still can.
    assert.equal((await redeemLink(h, token)).status, 200);
  });

  test('the cookie alone, the secret alone, or the two of different sessions open nothing', async () => {
    const a = await loginDashboard(h);
    const b = await loginDashboard(h);
    const rpc = (headers: Record<string, string>) => ({ key: null, headers: { 'Content-Type': 'application/json', ...headers }, body: '[]' });
    const halves: Record<string, string>[] = [
      { Cookie: a.cookie },
      { 'X-Tokentray-Session': a.secret },
      { Cookie: b.cookie, 'X-Tokentray-Session': a.secret },
      { Cookie: a.cookie, 'X-Tokentray-Session': `${a.secret}x` },
      { Cookie: a.cookie, 'X-Tokentray-Session': a.cookie.split('=')[1] as string },
    ];
    for (const headers of halves) {
      await refused(401, 'POST', '/ui/rpc/tokens:get', rpc(headers));
      await refused(401, 'POST', '/ui/rpc/clients:add', rpc(headers));
      await refused(401, 'GET', '/v1/events', { key: null, headers });
    }
    // The control: both factors of one session.
    assert.equal((await h.call('POST', '/ui/rpc/profiles:list', rpc(a.headers))).status, 200);
    assert.equal((await h.call('POST', '/ui/rpc/profiles:list', rpc(b.headers))).status, 200);
  });
});
