// Joining and leaving a fleet from the dashboard's settings (docs/shared-cache.md, "Joining from the
// dashboard"), in Debian's Chromium against a real `tokentray serve` on the file vault and a real
// redis-server that requires a password. A wrong password is refused beside the form and saves
// nothing; the right one connects at once, config.json keeps the URL without the password, and
// neither the password nor the fleet key is on disk in clear or left in the page; Leave asks first,
// then the app refreshes alone and /v1/health says nothing of a shared cache. Each step passes
// axe-core's serious and critical rules in light and dark, and the join is sent from the keyboard.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { fleetKeyId, generateFleetKey } from '../../main/core/fleet/record-crypto.js';
import { describeViolations, seriousViolations } from '../support/axe.js';
import { ensureDashboardBuilt, launchChromium } from '../support/chromium.js';
import { removeTempConfigDirs, runCli, tempConfigDir } from '../support/cli.js';
import { untilPasses } from '../support/poll.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';

const ROOT = resolve(import.meta.dirname, '../..');
// The fleet is joined in the page only: nothing of it in serve's environment.
const ENV: NodeJS.ProcessEnv = {
  TOKENTRAY_VAULT: 'file',
  TOKENTRAY_VAULT_PASSPHRASE: 'a long passphrase for the dashboard fleet test',
  TOKENTRAY_SHARED_CACHE: undefined,
  TOKENTRAY_SHARED_KEY: undefined,
  TOKENTRAY_SHARED_KEY_FILE: undefined,
  TOKENTRAY_SHARED_KEY_PREVIOUS: undefined,
};
const REDIS_PASSWORD = 'redis password typed in the dashboard';
const FLEET_KEY = generateFleetKey();
const KEY_ID = fleetKeyId(Buffer.from(FLEET_KEY, 'base64'));
/** axe-core's serious and critical findings on the page as it stands, in both colour schemes. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const violations = await seriousViolations(page);
    if (violations.length > 0) found.push(`${scheme}:\n${describeViolations(violations)}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

describe('the dashboard joins and leaves a fleet, in Chromium', () => {
  let redis: RedisServer;
  let configDir: string;
  let served: Served | undefined;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const settings = async (): Promise<Record<string, unknown>> =>
    (JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as { settings: Record<string, unknown> }).settings;
  const focusedId = async (): Promise<unknown> => page.evaluate('document.activeElement && document.activeElement.id');
  const health = async (): Promise<Record<string, unknown>> =>
    (await (await fetch(`http://127.0.0.1:${served?.port}/v1/health`)).json()) as Record<string, unknown>;

  before(async () => {
    ensureDashboardBuilt(ROOT);
    redis = await startRedis({ extraArgs: ['--requirepass', REDIS_PASSWORD] });
    configDir = await tempConfigDir();
    // A client key makes the config directory and the vault file before serve starts, as a user's would be.
    const added = await runCli(['clients', 'add', 'e2e', '--config-dir', configDir], { env: ENV });
    assert.equal(added.code, 0, added.stderr);
    served = await startServe(configDir, '0', ENV);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1000, height: 1400 } })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await stopServe(served);
    await redis?.close();
    await removeTempConfigDirs();
  });

  it('a wrong password saves nothing, the right one joins, and Leave asks first then leaves', async () => {
    assert.ok(served);
    await page.goto(served.link);
    await page.goto(`http://127.0.0.1:${served.port}/#/settings`);
    const panel = page.getByTestId('fleet-panel');
    await panel.getByText('No shared cache: this machine refreshes its tokens alone').waitFor();
    assert.equal('sharedCache' in (await health()), false, 'no fleet before the join');

    const joinForm = panel.getByRole('form', { name: 'Join a fleet' });
    await joinForm.getByLabel('Redis URL').fill(redis.url);
    await joinForm.getByLabel('Password').fill('not the password');
    await joinForm.getByLabel('Fleet key').fill(FLEET_KEY);
    await joinForm.getByRole('button', { name: 'Join the fleet' }).click();
    const refusal = joinForm.getByRole('alert');
    await refusal.waitFor({ timeout: 30_000 });
    const said = await refusal.innerText();
    assert.match(said, /refused the password/);
    assert.match(said, /What to do: Check the password/);
    assert.ok(!said.includes('not the password'), 'the typed password is never in the error');
    assert.equal(await joinForm.getByLabel('Password').inputValue(), 'not the password', 'the typed values stay');
    assert.equal(await joinForm.getByLabel('Fleet key').inputValue(), FLEET_KEY);
    assert.equal('sharedCache' in (await settings()), false, 'config.json names no fleet after a refusal');
    assert.equal('sharedCache' in (await health()), false);
    assert.deepEqual(await accessibilityProblems(page), [], 'the join form with its refusal');

    // By keyboard: Enter in the last field sends the form.
    await joinForm.getByLabel('Password').fill(REDIS_PASSWORD);
    await joinForm.getByLabel('Fleet key').press('Enter');
    await untilPasses('the panel shows the fleet', async () => assert.equal(await panel.getByTestId('fleet-state').textContent(), 'Connected'), { timeoutMs: 30_000 });
    assert.equal(await focusedId(), await panel.getByLabel('Fleet key').getAttribute('id'), 'focus stays where the keyboard was');
    assert.ok(((await panel.textContent()) ?? '').includes(KEY_ID), 'the key id is shown');
    assert.equal((await settings()).sharedCache, redis.url, 'config.json keeps the URL without the password');
    assert.equal((await health()).sharedCache, 'connected');
    const change = panel.getByRole('form', { name: 'Change the fleet' });
    assert.equal(await change.getByLabel('Password').inputValue(), '');
    assert.equal(await change.getByLabel('Fleet key').inputValue(), '');
    const html = await page.content();
    assert.ok(!html.includes(REDIS_PASSWORD) && !html.includes(FLEET_KEY), 'neither secret is left in the page');
    for (const name of ['config.json', 'vault.json']) {
      const text = await readFile(join(configDir, name), 'utf8');
      assert.ok(!text.includes(REDIS_PASSWORD) && !text.includes(encodeURIComponent(REDIS_PASSWORD)), `${name} holds no Redis password`);
      assert.ok(!text.includes(FLEET_KEY), `${name} holds no fleet key`);
    }
    assert.deepEqual(await accessibilityProblems(page), [], 'the joined fleet and its change form');

    await panel.getByRole('button', { name: 'Leave the fleet' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Leave the fleet?' });
    await dialog.waitFor();
    assert.deepEqual(await accessibilityProblems(page), [], 'the leave confirmation');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await health()).sharedCache, 'connected', 'Cancel keeps the fleet');
    await panel.getByRole('button', { name: 'Leave the fleet' }).click();
    await dialog.getByRole('button', { name: 'Leave', exact: true }).click();
    await panel.getByText('No shared cache: this machine refreshes its tokens alone').waitFor({ timeout: 30_000 });
    assert.equal(await panel.getByTestId('fleet-state').count(), 0);
    const heading = panel.getByRole('heading', { name: 'Fleet', exact: true });
    await untilPasses('focus moves to the panel\'s heading', async () => assert.equal(await focusedId(), await heading.getAttribute('id')));
    assert.equal('sharedCache' in (await health()), false, '/v1/health says nothing of a shared cache');
    assert.equal('sharedCache' in (await settings()), false, 'config.json no longer names the fleet');
    assert.deepEqual(pageErrors, []);
  });
});
