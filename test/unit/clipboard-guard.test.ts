import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Clock, TimerHandle } from '../../main/core/clock.js';
import { ClipboardGuard, CredentialCopier, clipboardTextFor, type ClipboardLike } from '../../main/core/clipboard-guard.js';
import type { Token } from '../../main/core/types.js';

class ManualClock implements Clock {
  #now = 0;
  #timers = new Map<object, { at: number; callback: () => void }>();
  now(): number {
    return this.#now;
  }
  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = {};
    this.#timers.set(handle, { at: this.#now + ms, callback });
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle);
  }
  get pending(): number {
    return this.#timers.size;
  }
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].callback();
    }
    this.#now = target;
  }
}

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
  let clock: ManualClock;
  let clipboard: MemoryClipboard;
  let clearSec: number;
  let guard: ClipboardGuard;
  let results: boolean[];

  beforeEach(() => {
    clock = new ManualClock();
    clipboard = new MemoryClipboard();
    clearSec = 60;
    guard = new ClipboardGuard({ clipboard, clock, getClearSec: () => clearSec });
    results = [];
    guard.onDidClear((cleared) => results.push(cleared));
  });

  it('clears the copied token after the configured time if it is still there', () => {
    guard.copy('tok-1');
    assert.equal(clipboard.text, 'tok-1');
    clock.advance(59_999);
    assert.equal(clipboard.text, 'tok-1');
    clock.advance(1);
    assert.equal(clipboard.text, '');
    assert.deepEqual(results, [true]);
  });

  it('leaves the clipboard alone when the person copied something else meanwhile', () => {
    guard.copy('tok-1');
    clipboard.text = 'something the person copied';
    clock.advance(60_000);
    assert.equal(clipboard.text, 'something the person copied');
    assert.deepEqual(results, [false]);
  });

  it('a second copy restarts the timer and only the latest text is cleared', () => {
    guard.copy('tok-1');
    clock.advance(30_000);
    guard.copy('tok-2');
    clock.advance(30_000);
    assert.equal(clipboard.text, 'tok-2');
    assert.equal(clock.pending, 1);
    clock.advance(30_000);
    assert.equal(clipboard.text, '');
    assert.deepEqual(results, [true]);
  });

  it('never clears when the setting is 0', () => {
    clearSec = 0;
    guard.copy('tok-1');
    assert.equal(clock.pending, 0);
    clock.advance(3600_000);
    assert.equal(clipboard.text, 'tok-1');
  });

  it('reads the setting at each copy', () => {
    guard.copy('tok-1');
    clearSec = 5;
    guard.copy('tok-2');
    clock.advance(5_000);
    assert.equal(clipboard.text, '');
  });

  it('takes a still-present secret back on dispose and cancels its timer', () => {
    guard.copy('tok-1');
    guard.dispose();
    assert.equal(clipboard.text, '');
    assert.equal(clock.pending, 0);
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

  it('copies the bare token, the header line, or a curl command for the API', () => {
    assert.equal(clipboardTextFor(bearer, 'token'), 'eyJ.abc');
    assert.equal(clipboardTextFor(bearer, 'header'), 'Authorization: Bearer eyJ.abc');
    assert.equal(
      clipboardTextFor(bearer, 'curl', 'https://cloud.acquia.com/api'),
      "curl -H 'Authorization: Bearer eyJ.abc' 'https://cloud.acquia.com/api'",
    );
  });

  it('uses a cookie session\'s own headers (Operate Self-Managed)', () => {
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

  it('builds an Authorization header when a token carries none', () => {
    assert.equal(clipboardTextFor({ ...bearer, headers: {} }, 'header'), 'Authorization: Bearer eyJ.abc');
  });
});

describe('credential copier', () => {
  it('copies a valid token from the engine formatted for the profile API, and records it', async () => {
    const clipboard = new MemoryClipboard();
    const clock = new ManualClock();
    const guard = new ClipboardGuard({ clipboard, clock, getClearSec: () => 60 });
    const asked: Array<[string, unknown]> = [];
    const recorded: unknown[] = [];
    const token: Token = { accessToken: 'tok', tokenType: 'Bearer', headers: { Authorization: 'Bearer tok' }, obtainedAt: 0, expiresAt: 1 };
    const copier = new CredentialCopier({
      engine: {
        getToken: async (id, options) => {
          asked.push([id, options]);
          return token;
        },
        record: (entry) => recorded.push(entry),
      },
      store: { getProfile: (id) => (id === 'acquia-prod' ? { id, name: 'Acquia', provider: 'acquia' } : undefined) },
      guard,
    });
    assert.equal(await copier.copy('acquia-prod', 'curl', 'tray'), true);
    // The Acquia API default comes from seed 002 through resolveProfile.
    assert.equal(clipboard.text, "curl -H 'Authorization: Bearer tok' 'https://cloud.acquia.com/api'");
    assert.deepEqual(asked, [['acquia-prod', { client: 'tray' }]]);
    assert.deepEqual(recorded, [{ kind: 'token-issued', profileId: 'acquia-prod', client: 'tray' }]);
    clock.advance(60_000);
    assert.equal(clipboard.text, '');
  });

  it('copies nothing when the engine has no valid token', async () => {
    const clipboard = new MemoryClipboard();
    const guard = new ClipboardGuard({ clipboard, clock: new ManualClock(), getClearSec: () => 60 });
    const copier = new CredentialCopier({
      engine: {
        getToken: async () => {
          throw new Error('no valid token');
        },
        record: () => undefined,
      },
      store: { getProfile: () => undefined },
      guard,
    });
    await assert.rejects(copier.copy('x', 'token'), /no valid token/);
    assert.deepEqual(clipboard.writes, []);
  });
});
