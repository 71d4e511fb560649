// Headless mode's dashboard transport: a one-time login link trades for a session (the
// origin-bound secret in a header plus the cookie), which opens /ui/rpc/{channel} (the IPC
// channels one to one) and /v1/events; the built files are served under a strict Content-Security-Policy.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DASHBOARD_CSP } from '../../main/core/api/dashboard-files.js';
import { answerAppRequest } from '../../main/core/desktop/window-policy.js';
import type { ClientKeyInfo, ProfileStatus, Result } from '../../common/contract.js';
import { linkToken, loginDashboard, openEvents, redeemLink, startHarness, type DashboardLogin, type Harness } from './api-harness.js';

describe('headless dashboard over HTTP', () => {
  let h: Harness;
  let login: DashboardLogin;
  before(async () => {
    h = await startHarness({ dashboard: true });
    await h.addProfile('redpanda', 'dash');
    login = await loginDashboard(h);
  });
  after(async () => {
    await h.close();
  });

  const rpc = async <T>(channel: string, args: unknown[], headers: Record<string, string> = {}): Promise<{ status: number; result: Result<T> }> => {
    const answer = await h.call('POST', `/ui/rpc/${channel}`, {
      key: null,
      headers: { ...login.headers, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(args),
    });
    return { status: answer.status, result: JSON.parse(answer.body) as Result<T> };
  };

  test('RPC answers Result values with the session', async () => {
    const list = await rpc<ProfileStatus[]>('profiles:list', []);
    assert.equal(list.status, 200);
    assert.ok(list.result.ok);
    assert.deepEqual(list.result.value.map((s) => s.id), ['dash']);

    const added = await rpc<{ key: string; client: ClientKeyInfo }>('clients:add', [{ name: 'script', profiles: ['dash'] }]);
    assert.ok(added.result.ok);
    assert.match(added.result.value.key, /^ttk_/);
    // The new key works on the API at once, and the listing never shows it again.
    assert.equal((await h.call('GET', '/v1/profiles/dash/token', { key: added.result.value.key })).status, 200);
    const clients = await rpc<ClientKeyInfo[]>('clients:list', []);
    assert.ok(clients.result.ok);
    assert.ok(!JSON.stringify(clients.result.value).includes(added.result.value.key));
  });

  test('bad payloads, unknown channels and engine errors are error values, not crashes', async () => {
    const bad = await rpc('profiles:get', [42]);
    assert.equal(bad.status, 200);
    assert.equal(bad.result.ok, false);
    const unknown = await rpc('system:exec', ['rm -rf /']);
    assert.equal(unknown.result.ok, false);
    const missing = await rpc('profiles:get', ['nope']);
    assert.ok(!missing.result.ok && missing.result.error.kind === 'not_found');
    const notJson = await h.call('POST', '/ui/rpc/profiles:list', { key: null, headers: { ...login.headers, 'Content-Type': 'text/plain' }, body: '[]' });
    assert.equal(notJson.status, 415);
    const tooBig = await h.call('POST', '/ui/rpc/profiles:list', {
      key: null,
      headers: { ...login.headers, 'Content-Type': 'application/json' },
      body: `["${'x'.repeat(2 * 1024 * 1024)}"]`,
    });
    assert.equal(tooBig.status, 413);
  });

  test('the session opens the event stream', async () => {
    const stream = await openEvents(h.port, login.headers);
    assert.equal(stream.status, 200);
    const paused = stream.next((e) => e.type === 'profile' && e.status.id === 'dash' && e.status.state === 'paused');
    assert.ok((await rpc('profiles:pause', ['dash', true])).result.ok);
    await paused;
    stream.close();
    await rpc('profiles:pause', ['dash', false]);
  });

  test('static files come with a strict CSP and never from outside the dashboard folder', async () => {
    const index = await h.call('GET', '/', { key: null });
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    const csp = String(index.headers['content-security-policy']);
    for (const directive of ["default-src 'none'", "form-action 'none'", "script-src 'self'", "connect-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      assert.ok(csp.includes(directive), directive);
    }
    assert.equal(index.headers['cache-control'], 'no-store');
    const script = await h.call('GET', '/assets/app.js', { key: null });
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.equal((await h.call('GET', '/profiles/dash', { key: null })).status, 200); // client-side route
    assert.equal((await h.call('GET', '/%2e%2e/secret.txt', { key: null })).status, 404);
    assert.equal((await h.call('GET', '/..%2fsecret.txt', { key: null })).status, 404);
    assert.equal((await h.call('GET', '/missing.js', { key: null })).status, 404);
  });

  test("both doors, the app window's app:// and the headless server, send the same files with the same headers", async () => {
    const dashboardDir = join(h.dir, 'renderer');
    for (const path of ['/', '/index.html', '/assets/app.js', '/profiles/dash']) {
      const http = await h.call('GET', path, { key: null });
      const app = await answerAppRequest({ url: `app://tokentray${path}`, method: 'GET' }, dashboardDir);
      assert.equal(http.status, 200, path);
      assert.equal(app.status, 200, path);
      assert.equal(await app.text(), http.body, path);
      // Transport headers aside, each names the same policy.
      const transport = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
      const fromHttp = Object.fromEntries(Object.entries(http.headers).filter(([name]) => !transport.has(name)));
      const fromApp = Object.fromEntries([...app.headers.entries()].filter(([name]) => !transport.has(name)));
      assert.deepEqual(fromApp, fromHttp, path);
      assert.equal(fromHttp['content-security-policy'], DASHBOARD_CSP);
    }
    for (const directive of ["default-src 'none'", "form-action 'none'", "base-uri 'none'", "object-src 'none'", "frame-ancestors 'none'"]) {
      assert.ok(DASHBOARD_CSP.includes(directive), directive);
    }
    // Neither door serves anything outside the folder, in any spelling.
    for (const path of ['/%2e%2e/secret.txt', '/..%2fsecret.txt', '/a%5c..%5c..%5csecret.txt', '/missing.js']) {
      assert.equal((await h.call('GET', path, { key: null })).status, 404, path);
      assert.equal((await answerAppRequest({ url: `app://tokentray${path}`, method: 'GET' }, dashboardDir)).status, 404, path);
    }
    assert.equal((await answerAppRequest({ url: 'app://tokentray/index.html', method: 'POST' }, dashboardDir)).status, 404);
    assert.equal((await answerAppRequest({ url: 'app://evil/index.html', method: 'GET' }, dashboardDir)).status, 404);
  });

  test('POST /v1/dashboard-link gives a fresh working link to an unlimited key', async () => {
    const answer = await h.call('POST', '/v1/dashboard-link');
    assert.equal(answer.status, 200);
    const url = new URL((JSON.parse(answer.body) as { url: string }).url);
    assert.equal(url.host, `127.0.0.1:${h.port}`);
    assert.equal(url.pathname, '/login');
    assert.equal(url.search, '', 'the token is in the fragment, never sent to a server');
    assert.equal((await redeemLink(h, linkToken(url.href))).status, 200);
  });

  test('the login link opens the dashboard page, which redeems the fragment itself; GET never redeems', async () => {
    const page = await h.call('GET', '/login', { key: null });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.ok(String(page.headers['content-security-policy']).includes("frame-ancestors 'none'"));
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['set-cookie'], undefined, 'opening the page logs nobody in');
    const token = linkToken(h.core.server.createLoginLink());
    const get = await h.call('GET', `/ui/login?token=${token}`, { key: null });
    assert.equal(get.status, 405);
    assert.equal(get.headers['set-cookie'], undefined);
    assert.equal((await redeemLink(h, token)).status, 200, 'the GET did not use the link up');
  });

  test('logout ends the session and its event stream at once', async () => {
    const other = await loginDashboard(h);
    const stream = await openEvents(h.port, other.headers);
    assert.equal(stream.status, 200);
    const out = await h.call('POST', '/ui/logout', { key: null, headers: other.headers });
    assert.equal(out.status, 204);
    assert.match(String(out.headers['set-cookie']), /tokentray_session=;.*Max-Age=0/);
    await stream.ended;
    const after = await rpc('profiles:list', [], other.headers);
    assert.equal(after.status, 401);
    // The first session is another one and still works.
    assert.equal((await rpc('profiles:list', [])).status, 200);
  });
});
