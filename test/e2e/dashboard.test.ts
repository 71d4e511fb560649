// The dashboard end to end: Debian's Chromium against a real `tokentray serve` child
// process, with a local Camunda Console token server (it issues JWTs without expires_in, seed 001).
// Log in through the one-time link, add a profile with the keyboard only, watch a short-lived token
// refresh on screen, break the token server, inspect the JWT, create and revoke a client key; the
// page talks only to its own origin and keeps its CSP. Screenshots of every view, light and dark.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureDashboardBuilt, launchChromium } from '../support/chromium.js';
import { cliCommand } from '../support/cli.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ARTIFACTS = process.env.TOKENTRAY_TEST_ARTIFACTS ?? join(ROOT, 'test-artifacts');
const LIFETIME_SEC = 6;

interface Served {
  child: ChildProcess;
  loginLink: string;
  origin: string;
}

async function startServe(configDir: string): Promise<Served> {
  const cli = cliCommand(['serve', '--port', '0', '--config-dir', configDir]);
  const child = spawn(cli.command, cli.args, {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const loginLink = await new Promise<string>((resolveLink, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/login#token=\S+)/.exec(out);
      if (match?.[1]) resolveLink(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`tokentray serve exited with ${code}: ${stderr}`)));
  });
  return { child, loginLink, origin: new URL(loginLink).origin };
}

async function stopServe(served: Served | undefined): Promise<void> {
  if (!served || served.child.exitCode !== null) return;
  const exited = new Promise((r) => served.child.once('exit', r));
  served.child.kill('SIGTERM');
  await exited;
}

/** Presses Tab until the focused element has this accessible text, like a keyboard user would. */
async function tabTo(page: Page, text: RegExp, limit = 60): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(`(() => {
      const el = document.activeElement;
      if (!el) return '';
      const label = el.id ? document.querySelector('label[for="' + el.id + '"]') : null;
      return (el.getAttribute('aria-label') || (label && label.textContent) || el.textContent || '').trim();
    })()`);
    if (text.test(String(focused))) return;
  }
  throw new Error(`Tab never reached ${text}`);
}

async function shoot(page: Page, name: string): Promise<void> {
  // A full-page shot of a scrolled page would draw the sticky top bar mid-page.
  await page.evaluate('window.scrollTo(0, 0)');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('dashboard in Chromium against tokentray serve', () => {
  let configDir: string;
  let provider: ProviderServer;
  let served: Served | undefined;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];
  let documentCsp: string | undefined;

  before(async () => {
    ensureDashboardBuilt(ROOT);
    await mkdir(ARTIFACTS, { recursive: true });
    configDir = await makeTempDir('tokentray-e2e-dashboard-');
    provider = await startProviderServer('camunda-console', { lifetimeSec: LIFETIME_SEC });
    served = await startServe(configDir);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1100, height: 860 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
    context.on('request', (r) => requests.push(r.url()));
    // Collected in the page before any of its own scripts run; CSP does not apply to this script.
    await context.addInitScript(`window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('response', (r) => {
      if (r.request().resourceType() === 'document') documentCsp = r.headers()['content-security-policy'];
    });
  });

  after(async () => {
    await browser?.close();
    await stopServe(served);
    await provider?.close();
    await removeTempDir(configDir);
  });

  it('logs in through the one-time link and explains the first step', async () => {
    assert.ok(served);
    await page.goto(served.loginLink);
    assert.equal(new URL(page.url()).pathname, '/');
    await page.getByRole('heading', { name: 'No profiles yet' }).waitFor();
    assert.ok(documentCsp?.includes("script-src 'self'"), 'the dashboard document carries its CSP');
    // The app window's strict policy, the same one (main/core/api/dashboard-files.ts).
    for (const directive of ["default-src 'none'", "form-action 'none'", "base-uri 'none'", "object-src 'none'", "frame-ancestors 'none'"]) {
      assert.ok(documentCsp?.includes(directive), directive);
    }
    await shoot(page, 'empty');
    // The link works once only (the page redeemed it; a second redemption, same origin, is refused).
    const token = new URLSearchParams(new URL(served.loginLink).hash.slice(1)).get('token');
    const again = await context.request.post(`${served.origin}/ui/login`, { data: { token }, headers: { Origin: served.origin }, maxRedirects: 0 });
    assert.equal(again.status(), 403);
  });

  it('adds a profile with the keyboard only, tests it, saves it and sees it turn fresh', async () => {
    await page.evaluate('window.__sameDocument = true');
    await tabTo(page, /^Add your first profile$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Add a profile' }).waitFor();

    await tabTo(page, /^Provider/);
    await page.keyboard.type('Camunda 8');
    assert.equal(await page.getByLabel(/^Provider/).inputValue(), 'camunda-console');

    await tabTo(page, /^Display name/);
    await page.keyboard.type('Camunda console');
    await tabTo(page, /^Client ID/);
    await page.keyboard.type(provider.credentials.clientId);
    await tabTo(page, /^Client secret/);
    await page.keyboard.type(provider.credentials.clientSecret);
    await tabTo(page, /^Token URL/);
    await page.keyboard.type(provider.tokenUrl);
    await tabTo(page, /^API base URL/);
    await page.keyboard.type(provider.apiUrl);
    await shoot(page, 'add-form');

    await tabTo(page, /^Test$/);
    await page.keyboard.press('Enter');
    await page.getByTestId('test-result').getByText('Test succeeded.').waitFor();
    await tabTo(page, /^Save$/);
    await page.keyboard.press('Enter');

    const card = page.locator('[data-profile-id="camunda-console"]');
    await card.locator('[data-state="fresh"]').first().waitFor();
    assert.match(await card.getByTestId('countdown').innerText(), /Expires in \d+ s/);
    // The secret went to the keychain and is nowhere on the page.
    assert.ok(!(await page.content()).includes(provider.credentials.clientSecret));
    // Keyboard focus is visible: the focused Save button led here, and focus lands on the profile.
    await shoot(page, 'profiles');
  });

  it('shows a short-lived token being refreshed without reloading the page', async () => {
    const card = page.locator('[data-profile-id="camunda-console"]');
    const before = await card.locator('.lifetime-text .muted').innerText();
    const issuedBefore = provider.issued.length;
    // Waits on the DOM (no sleeps, no eval: the CSP forbids it): the expiry time on the card changes.
    await card.locator('.lifetime-text').filter({ hasNotText: before }).waitFor({ timeout: 60_000 });
    assert.ok(provider.issued.length > issuedBefore, 'a new token was issued upstream');
    assert.equal(await page.evaluate('window.__sameDocument'), true, 'no reload happened');
    await page.getByRole('link', { name: 'Activity' }).first().click();
    await page.locator('[data-testid="activity-list"] [data-kind="refreshed"]').first().waitFor();
    await shoot(page, 'activity');
    await page.getByRole('link', { name: 'Profiles' }).click();
  });

  it('copies the token to the clipboard', async () => {
    const card = page.locator('[data-profile-id="camunda-console"]');
    await card.getByRole('button', { name: 'Copy token' }).click();
    await page.getByTestId('announcer').getByText('Token copied to the clipboard.').waitFor();
    const copied = String(await page.evaluate('navigator.clipboard.readText()'));
    assert.equal(provider.issued.some((t) => t.accessToken === copied), true);
  });

  it('shows the error and its hint when the token server breaks, and recovers', async () => {
    const card = page.locator('[data-profile-id="camunda-console"]');
    provider.setMode('invalid_client');
    await card.getByRole('button', { name: 'Refresh now' }).click();
    const lastError = card.getByTestId('last-error');
    await lastError.waitFor();
    assert.match(await lastError.innerText(), /What to do:/);
    await shoot(page, 'profile-error');
    provider.setMode('ok');
    await card.getByRole('button', { name: 'Refresh now' }).click();
    await card.locator('article [data-state="fresh"]').waitFor();
    // The error goes away once a refresh succeeds.
    await lastError.waitFor({ state: 'detached', timeout: 60_000 });
    assert.equal(await lastError.count(), 0);
  });

  it('inspects the JWT locally after an explicit reveal', async () => {
    const card = page.locator('[data-profile-id="camunda-console"]');
    await card.getByRole('link', { name: 'Inspect token' }).click();
    await page.getByRole('heading', { name: 'Token inspector' }).waitFor();
    assert.equal(await page.getByTestId('token-details').count(), 0, 'nothing is shown before reveal');
    const requestsBefore = requests.length;
    await page.getByRole('button', { name: 'Reveal token' }).click();
    const claims = page.getByTestId('claims');
    await claims.waitFor();
    assert.match(await claims.locator('[data-claim="aud"]').innerText(), /api\.cloud\.camunda\.io/);
    assert.match(await claims.locator('[data-claim="exp"]').innerText(), /\(in \d+ s\)|\(\d+ s ago\)|just now/);
    assert.equal(await claims.locator('[data-claim="iat"]').count(), 1);
    // Decoding sent nothing: the only request was the one that fetched the token.
    const sent = requests.slice(requestsBefore);
    assert.deepEqual(sent.map((u) => new URL(u).pathname), ['/ui/rpc/tokens%3Aget']);
    await shoot(page, 'inspector');
  });

  it('creates a client key that works once shown, and revokes it', async () => {
    assert.ok(served);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('New key name').fill('e2e-script');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByTestId('new-key-value').innerText();
    assert.ok(key.length > 20);
    const listed = await fetch(`${served.origin}/v1/profiles`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(listed.status, 200);
    await page.locator('tr[data-client="e2e-script"]').waitFor();
    await shoot(page, 'settings');

    await page.getByRole('button', { name: 'Revoke client key e2e-script' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await page.locator('tr[data-client="e2e-script"]').waitFor({ state: 'detached' });
    const refused = await fetch(`${served.origin}/v1/profiles`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(refused.status, 401);
  });

  it('asks before deleting, and Escape cancels', async () => {
    await page.getByRole('link', { name: 'Profiles' }).click();
    const card = page.locator('[data-profile-id="camunda-console"]');
    await card.getByRole('button', { name: 'Delete' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('alertdialog').waitFor();
    await shoot(page, 'delete-confirm');
    await page.keyboard.press('Escape');
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
    assert.equal(await card.count(), 1);
  });

  it('made no request to any other host and broke no CSP rule', async () => {
    assert.ok(served);
    const origin = served.origin;
    const foreign = requests.filter((u) => new URL(u).origin !== origin);
    assert.deepEqual(foreign, []);
    assert.deepEqual(await page.evaluate('window.__csp'), []);
    assert.deepEqual(pageErrors, []);
  });
});
