// The dashboard's Add never replaces a profile: Debian's Chromium against a real
// `tokentray serve` and a local Redpanda token server. A second Add with a taken id is refused with
// the field error beside the id and an offer to edit; the first profile keeps its settings, its secret
// (a forced refresh still succeeds with it) and its cached token. Only Edit replaces.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import type { ProfileConfig } from '../../common/contract.js';
import { ensureDashboardBuilt, launchChromium } from '../support/chromium.js';
import { cliCommand, runCli } from '../support/cli.js';
import { stopServe } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Served {
  child: ChildProcess;
  loginLink: string;
  origin: string;
}

async function startServe(configDir: string): Promise<Served> {
  const cli = cliCommand(['serve', '--port', '0', '--config-dir', configDir]);
  const child = spawn(cli.command, cli.args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function fillAddForm(page: Page, values: { name: string; clientId: string; secret: string; tokenUrl: string }): Promise<void> {
  await page.getByRole('heading', { name: 'Add a profile' }).waitFor();
  await page.getByLabel(/^Provider/).selectOption('redpanda');
  await page.getByLabel(/^Display name/).fill(values.name);
  await page.getByLabel(/^Client ID/).fill(values.clientId);
  await page.getByLabel(/^Client secret/).fill(values.secret);
  await page.getByLabel(/^Token URL/).fill(values.tokenUrl);
}

describe('the dashboard Add never overwrites a profile, in Chromium', () => {
  let configDir: string;
  let provider: ProviderServer;
  let served: Served | undefined;
  let browser: Browser;
  let page: Page;
  let key: string;

  const api = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${served?.origin}${path}`, { ...init, headers: { Authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });
  const storedProfile = async (id: string): Promise<ProfileConfig | undefined> =>
    ((JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as { profiles?: Record<string, ProfileConfig> }).profiles ?? {})[id];

  before(async () => {
    ensureDashboardBuilt(ROOT);
    configDir = await makeTempDir('tokentray-e2e-add-');
    provider = await startProviderServer('redpanda');
    const added = await runCli(['clients', 'add', 'e2e', '--config-dir', configDir]);
    assert.equal(added.code, 0, added.stderr);
    key = added.stdout.trim();
    served = await startServe(configDir);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1000, height: 900 } })).newPage();
  });

  after(async () => {
    await browser?.close();
    await stopServe(served);
    await provider?.close();
    await removeTempDir(configDir);
  });

  it('a second Add with the same id is refused beside the id, and the first profile keeps its secret and token', async () => {
    assert.ok(served);
    await page.goto(served.loginLink);
    await page.getByRole('link', { name: 'Add your first profile' }).click();
    await fillAddForm(page, { name: 'Prod', clientId: provider.credentials.clientId, secret: provider.credentials.clientSecret, tokenUrl: provider.tokenUrl });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('[data-profile-id="prod"] [data-state="fresh"]').waitFor();

    const before = (await (await api('/v1/profiles/prod/token')).json()) as { access_token: string };
    assert.equal(before.access_token, provider.issued.at(-1)?.accessToken);
    const original = await storedProfile('prod');
    const requestsBefore = provider.tokenRequestCount();

    await page.getByRole('link', { name: 'Add profile' }).click();
    await fillAddForm(page, { name: 'Prod', clientId: 'somebody-else', secret: 'another-secret', tokenUrl: provider.tokenUrl });
    assert.equal(await page.getByLabel(/^Profile id/).inputValue(), 'prod', 'the same name gives the same id');
    await page.getByRole('button', { name: 'Save', exact: true }).click();

    const idField = page.locator('[data-field="id"]');
    await idField.locator('.field-error').waitFor();
    assert.match(await idField.locator('.field-error').innerText(), /^A profile with this id already exists/);
    assert.equal(await page.getByLabel(/^Profile id/).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByRole('heading', { name: 'Add a profile' }).count(), 1, 'the form stays');
    assert.equal(await page.getByLabel(/^Client secret/).inputValue(), 'another-secret', 'nothing typed is lost either');

    // Nothing of the first profile changed: its settings, its cached token, its secret.
    assert.deepEqual(await storedProfile('prod'), original);
    assert.equal(provider.tokenRequestCount(), requestsBefore, 'the refused Add sent nothing upstream');
    const after = (await (await api('/v1/profiles/prod/token')).json()) as { access_token: string };
    assert.equal(after.access_token, before.access_token);
    const refreshed = await api('/v1/profiles/prod/refresh', { method: 'POST' });
    assert.equal(refreshed.status, 200, 'the stored secret is still the right one');
    assert.ok(provider.requests.at(-1)?.body.includes(`client_id=${encodeURIComponent(provider.credentials.clientId)}`));

    // The offer: Edit is the one way to replace it.
    await idField.getByRole('link', { name: 'Edit the profile “prod” instead' }).click();
    await page.getByRole('heading', { name: 'Edit profile' }).waitFor();
    assert.equal(await page.getByLabel(/^Client ID/).inputValue(), provider.credentials.clientId);
  });

  it('a different id is added beside the first', async () => {
    await page.getByRole('link', { name: 'Back to profiles' }).click();
    await page.getByRole('link', { name: 'Add profile' }).click();
    await fillAddForm(page, { name: 'Prod two', clientId: provider.credentials.clientId, secret: provider.credentials.clientSecret, tokenUrl: provider.tokenUrl });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('[data-profile-id="prod-two"] [data-state="fresh"]').waitFor();
    assert.equal(await page.locator('[data-profile-id="prod"]').count(), 1);
  });
});
