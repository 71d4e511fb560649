// The dashboard's form for client authentication with keys (docs/client-auth.md), in Debian's
// Chromium against a real `tokentray serve` on the file vault and oidc-provider over HTTPS with a
// private CA. A private key chosen from a file is read in the page and sent once: the profile gets
// tokens with fresh assertions (the server refuses a reused jti), the key never shows again and is
// nowhere on disk in clear; a certificate that does not match its key is refused beside the field,
// and nothing is saved.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureDashboardBuilt, launchChromium } from '../support/chromium.js';
import { removeTempConfigDirs, runCli, tempConfigDir } from '../support/cli.js';
import { createPki, type Pki } from '../support/pki.js';
import { startServe, type Served } from '../support/serve-process.js';
import { startMtlsOidc, type MtlsOidc } from '../support/servers/mtls-oidc.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ENV = { TOKENTRAY_VAULT: 'file', TOKENTRAY_VAULT_PASSPHRASE: 'a long passphrase for the dashboard key form test' };

/** The base64 lines of a PEM key: what would give the key away if found in a file. */
const keyMaterial = (pem: string): string[] => pem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));

describe('the dashboard adds a profile with a private key, in Chromium', () => {
  let pki: Pki;
  let oidc: MtlsOidc;
  let configDir: string;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let key: string;
  let ecKey: string;
  let keyFile: string;

  const api = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`http://127.0.0.1:${served.port}${path}`, { ...init, headers: { Authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });

  before(async () => {
    ensureDashboardBuilt(ROOT);
    pki = await createPki();
    ecKey = await pki.key('ec-sec1');
    keyFile = await pki.write('client-key.pem', ecKey);
    oidc = await startMtlsOidc(pki, [
      { id: 'form-jwt', method: 'private_key_jwt', privateKey: ecKey, kid: 'form-1' },
      { id: 'form-mtls', method: 'self_signed_tls_client_auth', privateKey: ecKey, cert: await pki.selfSigned('ec-sec1', 'form-mtls') },
    ]);
    configDir = await tempConfigDir();
    const added = await runCli(['clients', 'add', 'e2e', '--config-dir', configDir], { env: ENV });
    assert.equal(added.code, 0, added.stderr);
    key = added.stdout.trim();
    served = await startServe(configDir, '0', ENV);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1000, height: 1400 } })).newPage();
  });

  after(async () => {
    await browser?.close();
    if (served && served.child.exitCode === null) {
      const exited = new Promise((r) => served.child.once('exit', r));
      served.child.kill('SIGTERM');
      await exited;
    }
    await oidc?.close();
    await pki?.close();
    await removeTempConfigDirs();
  });

  it('private_key_jwt from a key file: tokens with fresh assertions, the key never shown again nor on disk in clear', async () => {
    await page.goto(served.link);
    await page.getByRole('link', { name: 'Add your first profile' }).click();
    await page.getByRole('heading', { name: 'Add a profile' }).waitFor();
    await page.getByLabel(/^Provider/).selectOption('oauth2');
    await page.getByLabel(/^Display name/).fill('Signed');
    await page.getByLabel(/^Client ID/).fill('form-jwt');
    await page.getByLabel(/^Token URL/).fill(oidc.tokenUrl);
    await page.getByLabel(/^Client authentication/).selectOption('private_key_jwt');
    assert.equal(await page.getByLabel(/^Client secret/).count(), 0, 'a key method asks for no secret');
    await page.getByLabel('Private key from a file').setInputFiles(keyFile);
    // The page reads the file itself; wait until its text is in the field.
    await page.waitForFunction('document.querySelector(\'[data-field="privateKey"] textarea\')?.value.includes("BEGIN") === true');
    await page.getByLabel(/^Key ID/).fill('form-1');
    await page.getByLabel(/^CA bundle file/).fill(pki.caFile);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('[data-profile-id="signed"] [data-state="fresh"]').waitFor();

    const issuedAfterSave = oidc.tokensIssued();
    assert.ok(issuedAfterSave >= 1, 'the server issued a token for the signed assertion');
    for (let i = 0; i < 2; i += 1) {
      const refreshed = await api('/v1/profiles/signed/refresh', { method: 'POST' });
      assert.equal(refreshed.status, 200, `refresh ${i + 1}: ${await refreshed.text()} ${oidc.refusals().join('; ')}`);
    }
    assert.equal(oidc.tokensIssued(), issuedAfterSave + 2, 'each refresh signed a new assertion the server accepted (a reused jti is refused)');
    const token = (await (await api('/v1/profiles/signed/token')).json()) as { access_token: string };
    assert.equal((await oidc.introspect(token.access_token)).client_id, 'form-jwt');

    // Edit shows the profile without its key: the field is empty and says the stored key is kept.
    await page.locator('[data-profile-id="signed"]').getByRole('link', { name: /Edit/ }).click();
    await page.getByRole('heading', { name: 'Edit profile' }).waitFor();
    const keyField = page.getByLabel(/^Private key/).first();
    assert.equal(await keyField.inputValue(), '');
    assert.match((await keyField.getAttribute('placeholder')) ?? '', /Unchanged/);
    assert.equal(await page.getByLabel(/^Key ID/).inputValue(), 'form-1');
    const html = await page.content();
    for (const line of keyMaterial(ecKey)) assert.ok(!html.includes(line), 'no key material in the page after saving');

    // Nowhere in the config directory in clear: config.json, the vault file, the history files.
    const names = await readdir(configDir);
    assert.ok(names.includes('vault.json') && names.includes('config.json'), names.join(', '));
    for (const name of names.filter((n) => n.endsWith('.json') || n.endsWith('.jsonl'))) {
      const text = await readFile(join(configDir, name), 'utf8');
      for (const line of keyMaterial(ecKey)) assert.ok(!text.includes(line), `${name} holds no key material`);
    }
    const config = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as { profiles: Record<string, Record<string, unknown>> };
    assert.ok(config.profiles.signed !== undefined && !('privateKey' in config.profiles.signed), 'config.json has the profile and not its key');
  });

  it('a certificate that does not match its key is refused beside the field, and nothing is saved', async () => {
    const otherCert = await pki.selfSigned('ed25519', 'someone-else');
    await page.goto(`http://127.0.0.1:${served.port}/`);
    await page.getByRole('link', { name: 'Add profile' }).click();
    await page.getByRole('heading', { name: 'Add a profile' }).waitFor();
    await page.getByLabel(/^Provider/).selectOption('oauth2');
    await page.getByLabel(/^Display name/).fill('Bound');
    await page.getByLabel(/^Client ID/).fill('form-mtls');
    await page.getByLabel(/^Token URL/).fill(oidc.tokenUrl);
    await page.getByLabel(/^Client authentication/).selectOption('self_signed_tls_client_auth');
    await page.getByLabel(/^Private key/).first().fill(ecKey);
    await page.getByLabel(/^Client certificate/).first().fill(otherCert);
    await page.getByLabel(/^CA bundle file/).fill(pki.caFile);
    const requestsBefore = oidc.tokenRequests();
    await page.getByRole('button', { name: 'Save', exact: true }).click();

    const certField = page.locator('[data-field="clientCert"]');
    await certField.locator('.field-error').waitFor();
    assert.match(await certField.locator('.field-error').innerText(), /^The client certificate does not match the private key\. Give the certificate issued for this key/);
    assert.equal(await page.getByLabel(/^Private key/).first().inputValue(), ecKey, 'what was typed stays');
    assert.equal(await page.getByRole('heading', { name: 'Add a profile' }).count(), 1, 'the form stays, with what was typed');
    assert.equal(oidc.tokenRequests(), requestsBefore, 'nothing was sent to the server');
    const config = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as { profiles: Record<string, unknown> };
    assert.deepEqual(Object.keys(config.profiles), ['signed'], 'nothing saved');
    const listed = (await (await api('/v1/profiles')).json()) as { id: string }[] | { profiles: { id: string }[] };
    const ids = (Array.isArray(listed) ? listed : listed.profiles).map((p) => p.id);
    assert.deepEqual(ids, ['signed']);
  });
});
