// The desktop app end to end with Playwright-Electron: the real main process, a temp config
// dir written the way the CLI writes it, the real keychain (scripts/test.sh's private keyring) and
// local token servers that behave like the seeds. Runs only where an Electron binary exists
// (ELECTRON_OVERRIDE_DIST_PATH or a downloaded `electron` package); elsewhere it prints one skip line.
// The tray menu and notifications are reached through test hooks that exist only behind
// --tokentray-test-hooks; every wait is on an event, never a sleep.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import type { ProfileStatus } from '../../common/contract.js';
import type { NotificationModel } from '../../main/core/desktop/notification-policy.js';
import { openFileStore } from '../../main/node/file-store.js';
import { KeytarVault } from '../../main/node/keytar-vault.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDirSync, removeTempDirSync } from '../support/temp-dir.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function findElectron(): { path: string } | { path: null; why: string } {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidates = ['electron', 'electron.exe', 'Electron.app/Contents/MacOS/Electron'].map((name) => path.join(override, name));
    const found = candidates.find((candidate) => existsSync(candidate));
    return found ? { path: found } : { path: null, why: `ELECTRON_OVERRIDE_DIST_PATH=${override} holds no electron executable` };
  }
  try {
    const binary = createRequire(import.meta.url)('electron') as unknown;
    if (typeof binary === 'string' && existsSync(binary)) return { path: binary };
  } catch {
    // The electron package throws when its binary was never downloaded.
  }
  return { path: null, why: 'the electron package has no downloaded binary and ELECTRON_OVERRIDE_DIST_PATH is not set' };
}

const electron = findElectron();
const skip = electron.path === null ? `no Electron binary (${electron.why})` : false;
if (skip) console.log(`# skip: ${skip}`);

/**
 * Calls a test hook in the main process. A string expression rather than a function: tsx wraps
 * functions in helpers that do not exist on the other side of Playwright's serialization.
 */
function hook<T>(app: ElectronApplication, call: string): Promise<T> {
  return app.evaluate(`globalThis.__tokentrayTestHooks.${call}`) as Promise<T>;
}

describe('Tokentray desktop app (Playwright-Electron)', { timeout: 300_000 }, () => {
  let configDir = '';
  let good: ProviderServer;
  let broken: ProviderServer;
  let app: ElectronApplication;
  let page: Page;
  const vault = new KeytarVault();

  before(async () => {
    if (skip) return;
    if (!existsSync(path.join(root, 'dist', 'main', 'index.js')) || !existsSync(path.join(root, 'dist', 'preload', 'index.cjs'))) {
      execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
    }
    configDir = makeTempDirSync('tokentray-e2e-');
    good = await startProviderServer('acquia');
    broken = await startProviderServer('oauth2', { mode: 'invalid_client' });

    // Written the way `tokentray profile add` writes: conf store plus keychain.
    const { store } = openFileStore(configDir);
    store.putProfile(good.profile({ id: 'acquia-e2e', name: 'Acquia e2e' }));
    store.putProfile(broken.profile({ id: 'broken-e2e', name: 'Broken e2e' }));
    store.close();
    await vault.setSecret('acquia-e2e', 'clientSecret', good.credentials.clientSecret);
    await vault.setSecret('broken-e2e', 'clientSecret', 'not-the-secret');

    app = await _electron.launch({
      executablePath: electron.path as string,
      args: [root, '--config-dir', configDir, '--tokentray-test-hooks'],
      env: { ...process.env, TOKENTRAY_TEST_HOOKS: '1' } as Record<string, string>,
      timeout: 120_000,
    });
    page = await app.firstWindow();
  });

  after(async () => {
    if (skip) return;
    await app?.close();
    await vault.deleteProfile('acquia-e2e').catch(() => undefined);
    await vault.deleteProfile('broken-e2e').catch(() => undefined);
    await good?.close();
    await broken?.close();
    removeTempDirSync(configDir);
  });

  it('renders the dashboard with the profile from the local token server, in a locked-down window', { skip }, async () => {
    await page.getByText('Acquia e2e').first().waitFor({ timeout: 60_000 });
    assert.match(page.url(), /^app:\/\/tokentray\/index\.html/);
    const exposed = await page.evaluate(
      '({ bridge: typeof window.tokentray?.invoke, require: typeof window.require, process: typeof window.process })',
    );
    assert.deepEqual(exposed, { bridge: 'function', require: 'undefined', process: 'undefined' });
  });

  it("puts the token on the clipboard through the tray menu's Copy token", { skip }, async () => {
    const status = await hook<ProfileStatus>(app, `waitForProfileState('acquia-e2e', ['fresh'])`);
    assert.equal(status.state, 'fresh');
    assert.equal(await hook<boolean>(app, `clickMenuItem('profile:acquia-e2e:copy-token')`), true);
    const text = await hook<string>(app, 'clipboardText()');
    assert.equal(text, good.issued.at(-1)?.accessToken);
  });

  it('raises exactly one notification for a failing profile, however often it fails again', { skip }, async () => {
    const first = await hook<NotificationModel[]>(app, 'waitForNotifications(1)');
    const forBroken = (list: NotificationModel[]) => list.filter((n) => n.profileId === 'broken-e2e');
    assert.deepEqual(
      forBroken(first).map((n) => n.kind),
      ['credentials-rejected'],
    );
    // A person asks again twice: both fail the same way, and no second notification appears.
    for (let i = 0; i < 2; i += 1) {
      assert.equal(await hook<boolean>(app, `clickMenuItem('profile:broken-e2e:refresh')`), true);
      await hook(app, `waitForProfileState('broken-e2e', ['error', 'expired'])`);
    }
    const all = await hook<NotificationModel[]>(app, 'notifications()');
    assert.equal(forBroken(all).length, 1);
    assert.equal(all.filter((n) => n.profileId === 'acquia-e2e').length, 0);
    assert.ok(broken.tokenRequestCount() >= 3);
  });
});
