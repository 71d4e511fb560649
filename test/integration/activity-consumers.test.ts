// docs/http-api.md: "every token handed out is recorded". Each consumer (API token, headers and refresh,
// the proxy, the dashboard over RPC, the app's copy through the clipboard port, the tray's copy, the CLI
// through the running app) lands in the activity log exactly once per token, under its own name. The
// engine records it itself, so no surface can forget (the proxy used to).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { ActivityEntry } from '../../common/contract.js';
import { ClipboardGuard, CredentialCopier, type ClipboardLike } from '../../main/core/desktop/clipboard-guard.js';
import { systemClock } from '../../main/core/clock.js';
import { findRunningApp } from '../../main/node/app-client.js';
import { KeytarVault } from '../../main/node/keytar-vault.js';
import { removeRuntimeFile, writeRuntimeFile } from '../../main/node/runtime-file.js';
import { startHarness, type Harness } from './api-harness.js';

class MemoryClipboard implements ClipboardLike {
  text = '';
  readText(): string {
    return this.text;
  }
  writeText(text: string): void {
    this.text = text;
  }
}

describe('every token handed out is recorded under its consumer', () => {
  let h: Harness;
  let mark = 0;
  /** token-issued entries since the last mark, as [profile, client]. */
  const issuedSinceMark = (): Array<[string | undefined, string | undefined]> =>
    h.core.engine
      .activity()
      .filter((e: ActivityEntry) => e.seq > mark && e.kind === 'token-issued')
      .map((e) => [e.profileId, e.client]);

  before(async () => {
    h = await startHarness();
    await h.addProfile('redpanda', 'rp');
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    mark = h.core.engine.activity().at(-1)?.seq ?? 0;
  });

  test('API token, headers and refresh: one entry each, under the key name', async () => {
    assert.equal((await h.call('GET', '/v1/profiles/rp/token')).status, 200);
    assert.equal((await h.call('GET', '/v1/profiles/rp/headers')).status, 200);
    assert.equal((await h.call('POST', '/v1/profiles/rp/refresh')).status, 200);
    assert.deepEqual(issuedSinceMark(), [
      ['rp', 'tester'],
      ['rp', 'tester'],
      ['rp', 'tester'],
    ]);
    // A refused demand hands nothing out.
    assert.equal((await h.call('GET', '/v1/profiles/nope/token')).status, 404);
    assert.equal(issuedSinceMark().length, 3);
  });

  test('the proxy: one entry per proxied request, under the key name', async () => {
    const limited = await h.addKey('deploy-bot', ['rp']);
    assert.equal((await h.call('GET', '/v1/proxy/rp/whoami', { key: limited })).status, 200);
    assert.equal((await h.call('GET', '/v1/proxy/rp/whoami')).status, 200);
    assert.deepEqual(issuedSinceMark(), [
      ['rp', 'deploy-bot'],
      ['rp', 'tester'],
    ]);
  });

  test('the dashboard over RPC: token and headers, under "dashboard"', async () => {
    await h.core.rpc['tokens:get']('rp');
    await h.core.rpc['tokens:headers']('rp');
    await h.core.rpc['profiles:refresh']('rp');
    assert.deepEqual(issuedSinceMark(), [
      ['rp', 'dashboard'],
      ['rp', 'dashboard'],
      ['rp', 'dashboard'],
    ]);
  });

  test('copies: the dashboard through the app clipboard port, and the tray, each under its name', async () => {
    const clipboard = new MemoryClipboard();
    const guard = new ClipboardGuard({ clipboard, clock: systemClock, getClearSec: () => 0 });
    const copier = new CredentialCopier({ engine: h.core.engine, store: { getProfile: () => undefined }, guard });
    // The app's wiring (main/index.ts): clipboard:copy goes to the copier as 'dashboard', the tray's
    // Copy items as 'tray'.
    const port = { copy: (id: string, what: 'token' | 'header' | 'curl') => copier.copy(id, what, 'dashboard') };
    assert.equal(await port.copy('rp', 'header'), true);
    assert.match(clipboard.text, /^Authorization: Bearer /);
    assert.equal(await copier.copy('rp', 'token', 'tray'), true);
    assert.deepEqual(issuedSinceMark(), [
      ['rp', 'dashboard'],
      ['rp', 'tray'],
    ]);
  });

  test('the CLI through the running app: under "cli"', async () => {
    const configDir = join(h.dir, 'config');
    await writeRuntimeFile(configDir, { port: h.port, pid: process.pid, version: '9.9.9-test', startedAt: new Date().toISOString(), mode: 'headless' });
    try {
      const app = await findRunningApp(configDir, { vault: new KeytarVault() });
      assert.ok(app !== null, 'the CLI found the running app');
      // What `tokentray token` and `tokentray headers` do when an app answers (token-source.ts).
      const token = await app.token('rp');
      const headers = await app.headers('rp');
      assert.equal(headers.Authorization, `Bearer ${token.access_token}`);
      assert.deepEqual(issuedSinceMark(), [
        ['rp', 'cli'],
        ['rp', 'cli'],
      ]);
    } finally {
      await removeRuntimeFile(configDir);
    }
  });
});
