// Accessibility stays checked: axe-core (test/support/axe.ts) in Debian's
// Chromium on every view of the built dashboard (the profile list in light and dark, the add form
// with its field errors, the edit form, the token inspector with a decoded JWT, the activity log,
// settings with a client key, the delete confirmation, "Use from an OAuth client" with a new key and
// its refusal for a cookie profile), under the dashboard's own CSP. Any serious
// or critical violation fails, named with its rule and the elements it found. The data comes from
// the dashboard's RPC protocol served by test/renderer/fake-dashboard-server.ts, so every profile
// state and provider is on screen at once.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { describeViolations, seriousViolations } from '../support/axe.js';
import { ensureDashboardBuilt, launchChromium } from '../support/chromium.js';
import type { ActivityEntry, ProfileConfig, Result } from '../../common/contract.js';
import { DASHBOARD_CSP } from '../../main/core/api/static-files.js';
import { startFakeDashboardServer, syntheticStatuses, type FakeDashboardServer } from '../renderer/fake-dashboard-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ARTIFACTS = process.env.TOKENTRAY_TEST_ARTIFACTS ?? join(ROOT, 'test-artifacts');
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('accessibility of every dashboard view (axe-core in Chromium)', () => {
  let server: FakeDashboardServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    ensureDashboardBuilt(ROOT);
    await mkdir(ARTIFACTS, { recursive: true });
    const now = Date.now();
    const statuses = syntheticStatuses(12, now);
    const first = statuses[0];
    assert.ok(first);
    const exp = Math.floor(now / 1000) + 3600;
    const jwt = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: 'https://issuer.test/', aud: 'api.test', scope: 'read write', exp, iat: exp - 3600 })}.c2ln`;
    const activity: ActivityEntry[] = [
      { seq: 1, at: new Date(now - 90_000).toISOString(), kind: 'refreshed', profileId: first.id },
      { seq: 2, at: new Date(now - 60_000).toISOString(), kind: 'refresh-failed', profileId: 'profile-004', detail: 'invalid_client' },
      { seq: 3, at: new Date(now - 30_000).toISOString(), kind: 'token-issued', profileId: first.id, client: 'deploy' },
      { seq: 4, at: new Date(now - 10_000).toISOString(), kind: 'client-added', client: 'deploy' },
    ];
    const config: ProfileConfig = { id: first.id, name: first.name, provider: 'redpanda', clientId: 'client-1' };
    const ok = <T>(value: T): Result<T> => ({ ok: true, value });
    server = await startFakeDashboardServer({
      staticDir: join(ROOT, 'dist/renderer'),
      csp: DASHBOARD_CSP,
      handlers: {
        'profiles:list': () => ok(statuses),
        // profile-cookie is a camunda-operate-cookie profile: the relay panel says why it cannot be relayed.
        'profiles:get': (args) => ok(args[0] === 'profile-cookie' ? { id: 'profile-cookie', name: 'Operate (cookie)', provider: 'camunda-operate-cookie', username: 'demo' } : config),
        'api:address': () => ok({ baseUrl: 'http://127.0.0.1:47210' }),
        'clients:add': (args) => {
          const input = args[0] as { name: string; profiles: string[] | null };
          return ok({ key: 'tt_0123456789abcdefghijklmnopqrstuvwxyz', client: { name: input.name, profiles: input.profiles, createdAt: new Date().toISOString(), lastUsedAt: null } });
        },
        'tokens:get': () => ok({ access_token: jwt, token_type: 'Bearer', expires_at: new Date(exp * 1000).toISOString(), expires_in: 3600, scope: 'read write' }),
        'activity:list': () => ok(activity),
        'settings:get': () => ok({ port: 47210, leadTimeSec: 300, clipboardClearSec: 60, startAtLogin: false, notifications: true }),
        // The dashboard first asks whether the vault is unlocked (its lock screen).
        'vault:state': () => ok({ backend: 'file', state: 'unlocked', location: '/home/user/.config/Tokentray/vault.json', entries: 4 }),
        'clients:list': () => ok([{ name: 'deploy', profiles: null, createdAt: new Date(now - 86_400_000).toISOString(), lastUsedAt: new Date(now - 30_000).toISOString() }]),
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Checks the view in both colour schemes (contrast differs) and keeps a screenshot of each. */
  async function check(name: string): Promise<void> {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(ARTIFACTS, `a11y-${name}-${scheme}.png`) });
      const found = await seriousViolations(page);
      assert.equal(found.length, 0, `${name} (${scheme}):\n${describeViolations(found)}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }

  it('finds what it is meant to find (a list item outside a list, an unlabeled button)', async () => {
    // The checker itself works here: a page with the activity log's old markup is reported.
    const probe = await browser.newPage();
    await probe.setContent('<!doctype html><html lang="en"><title>Probe</title><main><ol role="log"><li>Refreshed</li></ol><button></button></main></html>');
    const found = await seriousViolations(probe);
    await probe.close();
    assert.deepEqual(found.map((v) => v.id).sort(), ['button-name', 'listitem']);
  });

  it('the profile list, with every state and provider', async () => {
    await page.goto(`${server.url}/#/profiles`);
    await page.locator('[data-testid="profile-list"] > li').nth(11).waitFor();
    await page.locator('[data-testid="last-error"]').first().waitFor();
    await check('profiles');
  });

  it('the delete confirmation', async () => {
    await page.locator('[data-profile-id="profile-000"]').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').waitFor();
    await check('delete-confirm');
    await page.keyboard.press('Escape');
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
  });

  it('the add form, empty and with its field errors', async () => {
    await page.goto(`${server.url}/#/add`);
    await page.getByRole('heading', { name: 'Add a profile' }).waitFor();
    await check('add-form');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.field-error').first().waitFor();
    await check('add-form-errors');
  });

  it('the edit form', async () => {
    await page.goto(`${server.url}/#/edit/profile-000`);
    await page.getByLabel(/^Client ID/).waitFor();
    await check('edit-form');
  });

  it('the token inspector with a decoded JWT', async () => {
    await page.goto(`${server.url}/#/inspect/profile-000`);
    await page.getByRole('button', { name: 'Reveal token' }).click();
    await page.getByTestId('claims').waitFor();
    await check('inspector');
  });

  it('the activity log', async () => {
    await page.goto(`${server.url}/#/activity`);
    await page.locator('[data-testid="activity-list"] > li').nth(3).waitFor();
    await check('activity');
  });

  it('settings with a client key', async () => {
    await page.goto(`${server.url}/#/settings`);
    await page.locator('tr[data-client="deploy"]').waitFor();
    await check('settings');
  });

  it('use from an OAuth client: URLs, examples, and a key created for the profile', async () => {
    await page.goto(`${server.url}/#/relay/profile-000`);
    await page.getByTestId('relay-token-url').waitFor();
    await check('relay');
    // By keyboard: the key name field, then its button, creates a key limited to the profile.
    await page.getByLabel('Key name (the client id)').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByTestId('relay-new-key').waitFor();
    await check('relay-new-key');
    const added = server.requests.filter((r) => r.url === '/ui/rpc/clients%3Aadd').map((r) => JSON.parse(r.body) as unknown);
    assert.deepEqual(added, [[{ name: 'profile-000-client', profiles: ['profile-000'] }]]);
  });

  it('use from an OAuth client, refused for a cookie profile', async () => {
    await page.goto(`${server.url}/#/relay/profile-cookie`);
    await page.getByTestId('relay-refusal').waitFor();
    await check('relay-refused');
  });

  it('raised no page error', () => {
    assert.deepEqual(pageErrors, []);
  });
});
