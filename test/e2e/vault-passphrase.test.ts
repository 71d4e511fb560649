// The file vault's passphrase in the dashboard, in Chromium against a real
// `tokentray serve` with no keychain: the lock screen refuses a weak passphrase with the app's
// reason, and Settings changes the passphrase (mismatch, weak and wrong current refused, the file
// untouched), after which Lock and Unlock take the new passphrase and not the old one.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { ensureDashboardBuilt, launchChromium } from '../support/chromium.js';
import { cliCommand } from '../support/cli.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PASS = 'four random words here';
const NEXT = 'lantern orbit velvet cactus';

function headlessEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TOKENTRAY_CONFIG_DIR: '' };
  for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'TOKENTRAY_VAULT_PASSPHRASE', 'TOKENTRAY_VAULT_PASSPHRASE_FILE']) delete env[name];
  return env;
}

describe('the vault passphrase in the dashboard, in Chromium', () => {
  let configDir: string;
  let child: ChildProcess | undefined;
  let loginLink: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    ensureDashboardBuilt(ROOT);
    configDir = await makeTempDir('tokentray-e2e-passphrase-');
    const cli = cliCommand(['serve', '--port', '0', '--config-dir', configDir]);
    const served = spawn(cli.command, cli.args, { cwd: ROOT, env: headlessEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child = served;
    loginLink = await new Promise<string>((resolveLink, reject) => {
      let out = '';
      served.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const match = /(http:\/\/127\.0\.0\.1:\d+\/login#token=\S+)/.exec(out);
        if (match?.[1]) resolveLink(match[1]);
      });
      served.once('exit', (code) => reject(new Error(`tokentray serve exited with ${code}`)));
    });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1000, height: 1000 } })).newPage();
  });

  after(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await removeTempDir(configDir);
  });

  it('the lock screen refuses a weak passphrase with the reason, and creates the vault with a strong one', async () => {
    await page.goto(loginLink);
    await page.getByRole('heading', { name: 'Create a passphrase' }).waitFor();
    await page.getByLabel('New passphrase').fill('password1');
    await page.locator('.strength', { hasText: 'Weak' }).waitFor();
    await page.getByLabel('Repeat the passphrase').fill('password1');
    await page.getByRole('button', { name: 'Create the vault' }).click();
    const error = page.locator('.field-error');
    await error.waitFor();
    assert.match(await error.innerText(), /Too weak: Weak \([0-2] of 4; 4 is needed\)/);
    await assert.rejects(readFile(join(configDir, 'vault.json')), 'no vault was created');

    await page.getByLabel('New passphrase').fill(PASS);
    await page.locator('.strength', { hasText: 'Strong' }).waitFor();
    await page.getByLabel('Repeat the passphrase').fill(PASS);
    await page.getByRole('button', { name: 'Create the vault' }).click();
    await page.getByRole('heading', { name: 'No profiles yet' }).waitFor();
  });

  it('Settings changes the passphrase: bad input is refused beside its field and changes nothing', async () => {
    await page.goto(`${new URL(loginLink).origin}/#/settings`);
    const form = page.getByRole('form', { name: 'Change the passphrase' });
    await form.waitFor();
    const before = await readFile(join(configDir, 'vault.json'));
    const submit = form.getByRole('button', { name: 'Change the passphrase' });
    const errorOf = (field: string) => form.locator(`[data-field="${field}"] .field-error`);

    await form.getByLabel('Current passphrase').fill(PASS);
    await form.getByLabel('New passphrase', { exact: true }).fill('abc123abc');
    await form.locator('.strength', { hasText: 'Weak' }).waitFor();
    await form.getByLabel('Repeat the new passphrase').fill('abc123abc');
    await submit.click();
    await errorOf('next').waitFor();
    assert.match(await errorOf('next').innerText(), /Too weak/);

    await form.getByLabel('New passphrase', { exact: true }).fill(NEXT);
    await form.locator('.strength', { hasText: 'Strong' }).waitFor();
    await form.getByLabel('Repeat the new passphrase').fill(`${NEXT}!`);
    await submit.click();
    await errorOf('repeat').getByText('The two new passphrases differ').waitFor();

    await form.getByLabel('Repeat the new passphrase').fill(NEXT);
    await form.getByLabel('Current passphrase').fill('not the passphrase');
    await submit.click();
    await errorOf('current').getByText(/The passphrase does not open the vault/).waitFor();
    assert.deepEqual(await readFile(join(configDir, 'vault.json')), before, 'nothing changed');

    // Wrong current passphrases are slowed down like wrong unlocks: retry until the wait is over.
    await form.getByLabel('Current passphrase').fill(PASS);
    const done = form.getByRole('status').getByText('The passphrase was changed.');
    for (let attempt = 0; attempt < 10 && !(await done.isVisible()); attempt += 1) {
      await submit.click();
      await done.or(errorOf('current').getByText(/Too many wrong passphrases/)).waitFor({ timeout: 60_000 });
      if (!(await done.isVisible())) await new Promise((r) => setTimeout(r, 1200));
    }
    await done.waitFor();
    assert.notDeepEqual(await readFile(join(configDir, 'vault.json')), before);
  });

  it('after Lock the old passphrase no longer opens the vault and the new one does', async () => {
    await page.getByRole('region', { name: 'Vault', exact: true }).getByRole('button', { name: 'Lock the vault' }).click();
    await page.getByRole('heading', { name: 'Unlock the vault' }).waitFor();
    await page.getByLabel('Passphrase').fill(PASS);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByRole('alert').getByText('The passphrase does not open the vault.').waitFor();
    await page.getByLabel('Passphrase').fill(NEXT);
    const settings = page.getByRole('heading', { name: 'Settings', exact: true });
    for (let attempt = 0; attempt < 10 && !(await settings.isVisible()); attempt += 1) {
      await new Promise((r) => setTimeout(r, 1200));
      await page.getByRole('button', { name: 'Unlock', exact: true }).click();
      await settings.or(page.getByRole('alert').getByText(/Too many wrong passphrases/)).waitFor({ timeout: 60_000 });
    }
    await settings.waitFor();
  });
});
