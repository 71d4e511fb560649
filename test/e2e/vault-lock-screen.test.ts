// A fresh headless machine end to end: `tokentray serve` with no D-Bus
// and no passphrase keeps running on a locked file vault (health "locked", token demands 503), and
// Chromium's lock screen creates the passphrase, a profile is added against a local token server and
// its token shown. Then the CLI adds a second profile to the same vault while serve runs (a second
// real writer) and serve hands out its token without a restart; Lock (which ends every dashboard
// session: another browser's tab loses its live updates), a wrong passphrase (slowed down), and
// Unlock again in the tab that locked; then Log out, after which that tab's session opens nothing.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { ensureDashboardBuilt, launchChromium } from '../support/chromium.js';
import { cliCommand, runCli } from '../support/cli.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ARTIFACTS = process.env.TOKENTRAY_TEST_ARTIFACTS ?? join(ROOT, 'test-artifacts');
const PASS = 'four random words here';

function headlessEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TOKENTRAY_CONFIG_DIR: '' };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.DISPLAY;
  delete env.TOKENTRAY_VAULT_PASSPHRASE;
  delete env.TOKENTRAY_VAULT_PASSPHRASE_FILE;
  return { ...env, ...extra };
}

interface Served {
  child: ChildProcess;
  loginLink: string;
  origin: string;
  output: () => string;
}

async function startServe(configDir: string): Promise<Served> {
  const cli = cliCommand(['serve', '--port', '0', '--config-dir', configDir]);
  const child = spawn(cli.command, cli.args, { cwd: ROOT, env: headlessEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const loginLink = await new Promise<string>((resolveLink, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/login#token=\S+)/.exec(out);
      if (match?.[1] && /no passphrase yet/.test(out)) resolveLink(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`tokentray serve exited with ${code}: ${out}`)));
  });
  return { child, loginLink, origin: new URL(loginLink).origin, output: () => out };
}

async function shoot(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(ARTIFACTS, `vault-${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('a locked file vault in headless mode, in Chromium', () => {
  let configDir: string;
  let provider: ProviderServer;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let key: string;

  const api = async (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${served.origin}${path}`, { ...init, headers: { Authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });

  before(async () => {
    ensureDashboardBuilt(ROOT);
    await mkdir(ARTIFACTS, { recursive: true });
    configDir = await makeTempDir('tokentray-e2e-vault-');
    provider = await startProviderServer('redpanda');
    // A client key needs no vault (only its hash is stored): made before anything is unlocked.
    const added = await runCli(['clients', 'add', 'e2e', '--config-dir', configDir], { env: headlessEnv() });
    assert.equal(added.code, 0, added.stderr);
    key = added.stdout.trim();
    served = await startServe(configDir);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
  });

  after(async () => {
    await browser?.close();
    if (served && served.child.exitCode === null) {
      const exited = new Promise((r) => served.child.once('exit', r));
      served.child.kill('SIGTERM');
      await exited;
    }
    await provider?.close();
    await removeTempDir(configDir);
  });

  it('keeps running locked: says which vault in one line, health "locked", token demands 503 with a hint', async () => {
    assert.match(served.output(), /vault: the encrypted file .*vault\.json \(auto: no D-Bus session\)/);
    const health = await fetch(`${served.origin}/v1/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'locked');
    const token = await api('/v1/profiles/none/token');
    assert.equal(token.status, 404, 'an unknown profile is still 404');
  });

  it('creates the passphrase on the lock screen (refusing a mismatch), adds a profile and shows its token', async () => {
    await page.goto(served.loginLink);
    await page.getByRole('heading', { name: 'Create a passphrase' }).waitFor();
    assert.match(await page.getByRole('note').innerText(), /A lost passphrase cannot be recovered/);
    // Focus starts in the first field; the keyboard does the rest.
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.getAttribute("autocomplete")'), 'new-password');
    await page.keyboard.type('short');
    // The app answers how strong it is (vault:strength), a moment after typing stops.
    await page.locator('.strength', { hasText: 'Weak' }).waitFor();
    assert.match(await page.locator('.strength').innerText(), /Weak/);
    await page.keyboard.press('Tab');
    await page.keyboard.type('different');
    await page.keyboard.press('Enter');
    await page.getByText('The two passphrases differ').waitFor();
    await shoot(page, 'create');
    await page.getByLabel('New passphrase').fill(PASS);
    await page.locator('.strength', { hasText: 'Strong' }).waitFor();
    assert.match(await page.locator('.strength').innerText(), /Strong/);
    await page.getByLabel('Repeat the passphrase').fill(PASS);
    await page.getByRole('button', { name: 'Create the vault' }).click();
    await page.getByRole('heading', { name: 'No profiles yet' }).waitFor();
    assert.equal(((await (await fetch(`${served.origin}/v1/health`)).json()) as { status: string }).status, 'ok');

    await page.getByRole('link', { name: 'Add your first profile' }).click();
    await page.getByLabel(/^Provider/).selectOption('redpanda');
    await page.getByLabel(/^Display name/).fill('Redpanda e2e');
    await page.getByLabel(/^Client ID/).fill(provider.credentials.clientId);
    await page.getByLabel(/^Client secret/).fill(provider.credentials.clientSecret);
    await page.getByLabel(/^Token URL/).fill(provider.tokenUrl);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const card = page.locator('[data-profile-id]').first();
    await card.locator('[data-state="fresh"]').waitFor();
    const id = await card.getAttribute('data-profile-id');
    assert.ok(id);
    await card.getByRole('link', { name: 'Inspect token' }).click();
    await page.getByRole('button', { name: 'Reveal token' }).click();
    const shown = await page.getByLabel('Access token').innerText();
    assert.equal(shown, provider.issued.at(-1)?.accessToken);

    const vaultText = await readFile(join(configDir, 'vault.json'), 'utf8');
    assert.ok(!vaultText.includes(provider.credentials.clientSecret) && !vaultText.includes(shown), 'only ciphertext in the file');
    assert.ok(!(await readFile(join(configDir, 'config.json'), 'utf8')).includes(provider.credentials.clientSecret));
    assert.ok(!served.output().includes(PASS) && !served.output().includes(provider.credentials.clientSecret));
  });

  it('a profile the CLI adds to the same vault while serve runs is served without a restart', async () => {
    const added = await runCli(
      ['profile', 'add', 'from-cli', '--provider', 'redpanda', '--client-id', provider.credentials.clientId, '--token-url', provider.tokenUrl, '--secret-stdin', '--config-dir', configDir],
      { stdin: provider.credentials.clientSecret, env: headlessEnv({ TOKENTRAY_VAULT_PASSPHRASE: PASS }) },
    );
    assert.equal(added.code, 0, added.stderr);
    const token = await api('/v1/profiles/from-cli/token');
    assert.equal(token.status, 200, await token.clone().text());
    assert.equal(((await token.json()) as { access_token: string }).access_token, provider.issued.at(-1)?.accessToken);
    const status = await runCli(['vault', 'status', '--json', '--config-dir', configDir], { env: headlessEnv({ TOKENTRAY_VAULT_PASSPHRASE: PASS }) });
    const info = JSON.parse(status.stdout) as { entries: number };
    // Both profiles' secrets and cached tokens, and the CLI's own key: neither writer lost the other's.
    assert.ok(info.entries >= 5, status.stdout);
  });

  it('Lock brings the lock screen back; a wrong passphrase is refused and slowed down; Unlock opens it again', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    const vaultSection = page.getByRole('region', { name: 'Vault', exact: true });
    assert.match(await vaultSection.innerText(), /Encrypted file/);
    assert.match(await vaultSection.innerText(), /vault\.json/);
    await shoot(page, 'settings');
    // Another browser logged in with its own link: Lock ends its session and its event stream too.
    const link = await runCli(['dashboard', '--config-dir', configDir], { env: headlessEnv() });
    assert.equal(link.code, 0, link.stderr);
    const other = await (await browser.newContext()).newPage();
    await other.goto(link.stdout.trim());
    await other.getByRole('heading', { name: 'Profiles', exact: true }).waitFor();
    await vaultSection.getByRole('button', { name: 'Lock the vault' }).click();
    await page.getByRole('heading', { name: 'Unlock the vault' }).waitFor();
    await other.getByRole('alert').getByText(/Live updates stopped: this dashboard session has ended/).waitFor();
    // (Evaluated as text: this file is type-checked without the DOM library.)
    const refused = (await other.evaluate(
      `fetch('/ui/rpc/profiles%3Alist', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Tokentray-Session': sessionStorage.getItem('tokentray.session') || '' }, body: '[]' }).then((r) => r.status)`,
    )) as number;
    assert.equal(refused, 401, "the other tab's session ended with the Lock");
    await other.context().close();
    assert.equal(((await (await fetch(`${served.origin}/v1/health`)).json()) as { status: string }).status, 'locked');
    const locked = await api('/v1/profiles/from-cli/token');
    assert.equal(locked.status, 503);
    const problem = (await locked.json()) as { type: string; hint?: string };
    assert.equal(problem.type, 'urn:tokentray:problem:vault_locked');
    assert.match(problem.hint ?? '', /Unlock it in the dashboard/);

    const before = await readFile(join(configDir, 'vault.json'));
    await page.getByLabel('Passphrase').fill('not the passphrase');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByRole('alert').getByText('The passphrase does not open the vault.').waitFor();
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByRole('alert').getByText(/Too many wrong passphrases: wait \d+ s/).waitFor();
    await shoot(page, 'unlock-error');
    assert.deepEqual(await readFile(join(configDir, 'vault.json')), before, 'failed attempts never touch the file');

    // The wait after one wrong attempt is a second (it doubles with each); then the right one opens it.
    await page.getByLabel('Passphrase').fill(PASS);
    const settings = page.getByRole('heading', { name: 'Settings', exact: true });
    for (let attempt = 0; attempt < 10 && !(await settings.isVisible()); attempt += 1) {
      await new Promise((r) => setTimeout(r, 1200));
      await page.getByRole('button', { name: 'Unlock', exact: true }).click();
      await settings.or(page.getByRole('alert').getByText(/Too many wrong passphrases/)).waitFor({ timeout: 60_000 });
    }
    await settings.waitFor();
    const token = await api('/v1/profiles/from-cli/token');
    assert.equal(token.status, 200);
    // The unlocked tab has its live updates back (a new session came with the unlock).
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page.getByRole('heading', { name: 'Profiles', exact: true }).waitFor();
    assert.equal(await page.getByRole('alert').getByText(/Live updates stopped/).count(), 0);
  });

  it('Log out ends the session: the page says how to come back, and its secret and cookie open nothing', async () => {
    const secret = (await page.evaluate(`sessionStorage.getItem('tokentray.session')`)) as string | null;
    assert.ok(secret);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'tokentray_session');
    assert.ok(cookie);
    const replay = async (): Promise<number> =>
      (
        await fetch(`${served.origin}/ui/rpc/profiles%3Alist`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Origin: served.origin, 'X-Tokentray-Session': secret, Cookie: `tokentray_session=${cookie.value}` },
          body: '[]',
        })
      ).status;
    assert.equal(await replay(), 200, 'the session works before');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Logged out' }).waitFor();
    assert.match(await page.locator('main').innerText(), /tokentray dashboard/);
    await shoot(page, 'logged-out');
    assert.equal(await replay(), 401);
    assert.equal(await page.evaluate(`sessionStorage.getItem('tokentray.session')`), null);
  });
});
