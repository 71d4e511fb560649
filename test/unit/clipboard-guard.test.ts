import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../support/fake-clock.js';
import { ClipboardGuard, CredentialCopier, clipboardTextFor, type ClipboardLike } from '../../main/core/desktop/clipboard-guard.js';
import type { Token } from '../../main/core/types.js';
import { acquiaProfile, createHarness } from '../support/engine-harness.js';

class MemoryClipboard implements ClipboardLike {
  text = '';
  writes: string[] = [];
  readText(): string {
    return this.text;
  }
  writeText(text: string): void {
    this.text = text;
    this.writes.push(text);
  }
}

describe('clipboard guard', () => {
  let clock: FakeClock;
  let clipboard: MemoryClipboard;
  let clearSec: number;
  let guard: ClipboardGuard;
  let results: boolean[];

  beforeEach(() => {
    clock = new FakeClock(0);
    clipboard = new MemoryClipboard();
    clearSec = 60;
    guard = new ClipboardGuard({ clipboard, clock, getClearSec: () => clearSec });
    results = [];
    guard.onDidClear((cleared) => results.push(cleared));
  });

  it('clears the copied token after the configured time if it is still there', async () => {
    guard.copy('tok-1');
    assert.equal(clipboard.text, 'tok-1');
    await clock.advance(59_999);
    assert.equal(clipboard.text, 'tok-1');
    await clock.advance(1);
    assert.equal(clipboard.text, '');
    assert.deepEqual(results, [true]);
  });

  it('leaves the clipboard alone when the person copied something else meanwhile', async () => {
    guard.copy('tok-1');
    clipboard.text = 'something the person copied';
    await clock.advance(60_000);
    assert.equal(clipboard.text, 'something the person copied');
    assert.deepEqual(results, [false]);
  });

  it('a second copy restarts the timer and only the latest text is cleared', async () => {
    guard.copy('tok-1');
    await clock.advance(30_000);
    guard.copy('tok-2');
    await clock.advance(30_000);
    assert.equal(clipboard.text, 'tok-2');
    assert.equal(clock.pendingTimers(), 1);
    await clock.advance(30_000);
    assert.equal(clipboard.text, '');
    assert.deepEqual(results, [true]);
  });

  it('never clears when the setting is 0', async () => {
    clearSec = 0;
    guard.copy('tok-1');
    assert.equal(clock.pendingTimers(), 0);
    await clock.advance(3600_000);
    assert.equal(clipboard.text, 'tok-1');
  });

  it('reads the setting at each copy', async () => {
    guard.copy('tok-1');
    clearSec = 5;
    guard.copy('tok-2');
    await clock.advance(5_000);
    assert.equal(clipboard.text, '');
  });

  it('takes a still-present secret back on dispose and cancels its timer', async () => {
    guard.copy('tok-1');
    guard.dispose();
    assert.equal(clipboard.text, '');
    assert.equal(clock.pendingTimers(), 0);
  });
});

describe('clipboard text formats', () => {
  const bearer: Token = {
    accessToken: 'eyJ.abc',
    tokenType: 'Bearer',
    headers: { Authorization: 'Bearer eyJ.abc' },
    obtainedAt: 0,
    expiresAt: 300_000,
  };

  it('copies the bare token, the header line, or a curl command for the API', async () => {
    assert.equal(clipboardTextFor(bearer, 'token'), 'eyJ.abc');
    assert.equal(clipboardTextFor(bearer, 'header'), 'Authorization: Bearer eyJ.abc');
    assert.equal(
      clipboardTextFor(bearer, 'curl', 'https://cloud.acquia.com/api'),
      "curl -H 'Authorization: Bearer eyJ.abc' 'https://cloud.acquia.com/api'",
    );
  });

  it('uses a cookie session\'s own headers (Operate Self-Managed)', async () => {
    const cookie: Token = {
      accessToken: 'OPERATE-SESSION=1',
      tokenType: 'Cookie',
      headers: { Cookie: 'OPERATE-SESSION=1', 'X-CSRF-TOKEN': "a'b" },
      obtainedAt: 0,
      expiresAt: null,
    };
    assert.equal(clipboardTextFor(cookie, 'header'), "Cookie: OPERATE-SESSION=1\nX-CSRF-TOKEN: a'b");
    assert.equal(
      clipboardTextFor(cookie, 'curl', 'http://localhost:8080/v1/process-definitions/search'),
      "curl -H 'Cookie: OPERATE-SESSION=1' -H 'X-CSRF-TOKEN: a'\\''b' 'http://localhost:8080/v1/process-definitions/search'",
    );
  });

  it('builds an Authorization header when a token carries none', async () => {
    assert.equal(clipboardTextFor({ ...bearer, headers: {} }, 'header'), 'Authorization: Bearer eyJ.abc');
  });
});

describe('credential copier', () => {
  it('copies a valid token from the engine formatted for the profile API, and records it', async () => {
    const clipboard = new MemoryClipboard();
    const clock = new FakeClock(0);
    const guard = new ClipboardGuard({ clipboard, clock, getClearSec: () => 60 });
    const asked: Array<[string, unknown]> = [];
    const token: Token = { accessToken: 'tok', tokenType: 'Bearer', headers: { Authorization: 'Bearer tok' }, obtainedAt: 0, expiresAt: 1 };
    const copier = new CredentialCopier({
      engine: {
        getToken: async (id, options) => {
          asked.push([id, options]);
          return token;
        },
      },
      store: { getProfile: (id) => (id === 'acquia-prod' ? { id, name: 'Acquia', provider: 'acquia' } : undefined) },
      guard,
    });
    assert.equal(await copier.copy('acquia-prod', 'curl', 'tray'), true);
    // The Acquia API default comes from seed 002 through resolveProfile.
    assert.equal(clipboard.text, "curl -H 'Authorization: Bearer tok' 'https://cloud.acquia.com/api'");
    assert.deepEqual(asked, [['acquia-prod', { client: 'tray' }]]);
    await clock.advance(60_000);
    assert.equal(clipboard.text, '');
  });

  it('is recorded once, under its consumer, by the real engine that handed the token out', async () => {
    const { clock, engine, store, vault } = await createHarness({ profiles: [acquiaProfile('acquia-prod')] });
    await engine.start();
    await clock.advance(0);
    const clipboard = new MemoryClipboard();
    const guard = new ClipboardGuard({ clipboard, clock, getClearSec: () => 60 });
    const copier = new CredentialCopier({ engine, store, guard });
    assert.equal(await copier.copy('acquia-prod', 'token', 'tray'), true);
    assert.equal(clipboard.text, (await vault.getCachedToken('acquia-prod'))?.accessToken);
    const recorded = engine
      .activity()
      .filter((e) => e.kind === 'token-issued')
      .map(({ kind, profileId, client }) => ({ kind, profileId, client }));
    assert.deepEqual(recorded, [{ kind: 'token-issued', profileId: 'acquia-prod', client: 'tray' }]);
    await engine.stop();
  });

  it('copies nothing when the engine has no valid token', async () => {
    const clipboard = new MemoryClipboard();
    const guard = new ClipboardGuard({ clipboard, clock: new FakeClock(0), getClearSec: () => 60 });
    const copier = new CredentialCopier({
      engine: {
        getToken: async () => {
          throw new Error('no valid token');
        },
      },
      store: { getProfile: () => undefined },
      guard,
    });
    await assert.rejects(copier.copy('x', 'token'), /no valid token/);
    assert.deepEqual(clipboard.writes, []);
  });
});
