// Copies credentials to the clipboard and takes them back (docs/desktop.md): a copied token is
// cleared after settings.clipboardClearSec (60 s by default) if the clipboard still holds exactly
// what we wrote, so something the person copied since is never wiped.
import type { Clock, TimerHandle } from '../clock.js';
import { resolveProfile } from '../profiles.js';
import type { CopyFormat } from './tray-model.js';
import type { ConfigStore, Engine, Token } from '../types.js';
import { Emitter } from '../../../common/emitter.js';

/** The two calls we need from Electron's clipboard (or a fake in tests). */
export interface ClipboardLike {
  /** Electron 40+ reads asynchronously; the tests' fakes answer at once. */
  readText(): string | Promise<string>;
  writeText(text: string): void;
}

export interface ClipboardGuardOptions {
  clipboard: ClipboardLike;
  clock: Clock;
  /** Read at each copy, so a changed setting applies to the next copy. 0 means never clear. */
  getClearSec: () => number;
}

export class ClipboardGuard {
  readonly #clipboard: ClipboardLike;
  readonly #clock: Clock;
  readonly #getClearSec: () => number;
  #pending: { text: string; timer: TimerHandle | null } | null = null;
  readonly #cleared = new Emitter<boolean>();

  constructor(options: ClipboardGuardOptions) {
    this.#clipboard = options.clipboard;
    this.#clock = options.clock;
    this.#getClearSec = options.getClearSec;
  }

  /** Writes the text and schedules its removal. A new copy replaces the previous schedule. */
  copy(text: string): void {
    this.#cancel();
    this.#clipboard.writeText(text);
    const clearSec = this.#getClearSec();
    const pending: { text: string; timer: TimerHandle | null } = { text, timer: null };
    this.#pending = pending;
    if (clearSec > 0) pending.timer = this.#clock.setTimeout(() => this.#clear(pending), clearSec * 1000);
  }

  /** Fires after each scheduled check: true when our text was removed, false when the person had copied something else. */
  onDidClear(listener: (cleared: boolean) => void): () => void {
    return this.#cleared.on(listener);
  }

  /** On quit: take a still-present secret back now rather than leave it behind. */
  dispose(): void {
    const pending = this.#pending;
    if (pending) this.#clear(pending);
    this.#cleared.clear();
  }

  #clear(pending: { text: string; timer: TimerHandle | null }): void {
    if (this.#pending !== pending) return;
    this.#cancel();
    const current = this.#clipboard.readText();
    if (typeof current === 'string') this.#settle(pending.text, current);
    else void current.then((text) => this.#settle(pending.text, text), () => this.#settle(pending.text, null));
  }

  /** Clears only what we copied: anything the person copied since stays. */
  #settle(copied: string, current: string | null): void {
    let cleared = false;
    if (current === copied && this.#pending === null) {
      this.#clipboard.writeText('');
      cleared = true;
    }
    this.#cleared.emit(cleared);
  }

  #cancel(): void {
    if (this.#pending?.timer) this.#clock.clearTimeout(this.#pending.timer);
    this.#pending = null;
  }
}

/** Quotes for a POSIX shell: single quotes, with embedded ones closed, escaped and reopened. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * What "Copy token", "Copy Authorization header" and "Copy curl example" put on the clipboard.
 * The header form uses the token's own headers, so cookie sessions (Operate Self-Managed, seed 003)
 * copy their Cookie and CSRF lines instead of an Authorization header.
 */
export function clipboardTextFor(token: Token, format: CopyFormat, apiUrl?: string): string {
  const headers = Object.keys(token.headers).length > 0 ? token.headers : { Authorization: `${token.tokenType} ${token.accessToken}` };
  switch (format) {
    case 'token':
      return token.accessToken;
    case 'header':
      return Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n');
    case 'curl': {
      const flags = Object.entries(headers).map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`);
      return ['curl', ...flags, shellQuote(apiUrl ?? 'https://api.example.com/')].join(' ');
    }
  }
}

export interface CredentialCopierDeps {
  engine: Pick<Engine, 'getToken'>;
  store: Pick<ConfigStore, 'getProfile'>;
  guard: ClipboardGuard;
}

/**
 * Copies a profile's credential (the tray menu's Copy items and the dashboard's clipboard:copy): a
 * valid token from the engine, never an expired one, formatted, handed to the guard, and recorded
 * in the activity log like any other token handed out (the engine records it under `client`). Satisfies rpc.ts's ClipboardPort.
 */
export class CredentialCopier {
  readonly #deps: CredentialCopierDeps;

  constructor(deps: CredentialCopierDeps) {
    this.#deps = deps;
  }

  async copy(profileId: string, format: CopyFormat, client = 'clipboard'): Promise<boolean> {
    const { engine, store, guard } = this.#deps;
    const token = await engine.getToken(profileId, { client });
    const profile = store.getProfile(profileId);
    const resolved = profile ? resolveProfile(profile) : undefined;
    guard.copy(clipboardTextFor(token, format, resolved?.apiUrl ?? resolved?.baseUrl));
    return true;
  }
}
