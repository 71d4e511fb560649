// The OS keychain through keytar (SPEC section 3): one entry per profile and secret field, plus the
// cached current token, under one service name. A locked or absent keychain is a clear
// 'keychain_unavailable' error; there is no plaintext fallback, ever.
import { createRequire } from 'node:module';
import type { SecretField } from '../../common/providers.js';
import { TokentrayError } from '../core/errors.js';
import type { Token, Vault } from '../core/types.js';

/** The part of keytar's API we use (keytar is a CommonJS native module). */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

export const DEFAULT_KEYCHAIN_SERVICE = 'tokentray';
const PROBE_ACCOUNT = '__tokentray_probe__';

let loaded: KeytarLike | undefined;

function loadKeytar(): KeytarLike {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('keytar') as KeytarLike;
    return loaded;
  } catch (error) {
    throw new TokentrayError('keychain_unavailable', 'The keychain module (keytar) could not be loaded.', {
      hint: 'Reinstall Tokentray; on Linux install libsecret-1-0.',
      cause: error,
    });
  }
}

export interface KeytarVaultOptions {
  service?: string;
  /** For tests only: a keytar stand-in. */
  keytar?: KeytarLike;
}

export class KeytarVault implements Vault {
  readonly service: string;
  readonly #keytar: KeytarLike | undefined;

  constructor(options: KeytarVaultOptions = {}) {
    this.service = options.service ?? (process.env.TOKENTRAY_KEYCHAIN_SERVICE || DEFAULT_KEYCHAIN_SERVICE);
    this.#keytar = options.keytar;
  }

  /**
   * Throws keychain_unavailable when the keychain cannot be written. Reading a locked collection
   * succeeds with "nothing found" on Linux, so the probe writes and removes a harmless entry.
   */
  async probe(): Promise<void> {
    await this.#call((k) => k.setPassword(this.service, PROBE_ACCOUNT, 'ok'));
    await this.#call((k) => k.deletePassword(this.service, PROBE_ACCOUNT));
  }

  getSecret(profileId: string, field: SecretField): Promise<string | null> {
    return this.getItem(`${profileId}:${field}`);
  }

  setSecret(profileId: string, field: SecretField, value: string): Promise<void> {
    return this.setItem(`${profileId}:${field}`, value);
  }

  deleteSecret(profileId: string, field: SecretField): Promise<void> {
    return this.deleteItem(`${profileId}:${field}`);
  }

  async getCachedToken(profileId: string): Promise<Token | null> {
    const raw = await this.getItem(`${profileId}:token`);
    if (raw === null) return null;
    const token = parseToken(raw);
    // A cache entry we cannot read is worth nothing: drop it so the next refresh replaces it.
    if (token === null) await this.deleteItem(`${profileId}:token`);
    return token;
  }

  async setCachedToken(profileId: string, token: Token | null): Promise<void> {
    if (token === null) {
      await this.deleteItem(`${profileId}:token`);
      return;
    }
    await this.setItem(`${profileId}:token`, JSON.stringify(token));
  }

  async deleteProfile(profileId: string): Promise<void> {
    const prefix = `${profileId}:`;
    const entries = await this.#call((k) => k.findCredentials(this.service));
    for (const { account } of entries) {
      if (account.startsWith(prefix)) await this.#call((k) => k.deletePassword(this.service, account));
    }
  }

  getItem(account: string): Promise<string | null> {
    return this.#call((k) => k.getPassword(this.service, account));
  }

  setItem(account: string, value: string): Promise<void> {
    return this.#call((k) => k.setPassword(this.service, account, value));
  }

  async deleteItem(account: string): Promise<void> {
    await this.#call((k) => k.deletePassword(this.service, account));
  }

  async #call<T>(operation: (keytar: KeytarLike) => Promise<T>): Promise<T> {
    const keytar = this.#keytar ?? loadKeytar();
    try {
      return await operation(keytar);
    } catch (error) {
      throw keychainError(error);
    }
  }
}

/**
 * keytar's errors are libsecret/D-Bus/Keychain/Credential Manager messages; none of them carries the
 * secret, but we still never copy them into our message: only their kind becomes a hint.
 */
export function keychainError(error: unknown): TokentrayError {
  if (error instanceof TokentrayError) return error;
  const text = error instanceof Error ? error.message : String(error);
  let message = 'The OS keychain is not available.';
  let hint = 'Unlock your keychain (or log in to a desktop session) and try again.';
  if (/locked/i.test(text)) {
    message = 'The OS keychain is locked.';
    hint = 'Unlock your keychain (on Linux: the "login" keyring, e.g. with Seahorse) and try again.';
  } else if (/autolaunch|D-?Bus|Could not connect|org\.freedesktop\.secrets|secret service|ServiceUnknown/i.test(text)) {
    message = 'No keychain service (Secret Service over D-Bus) is running.';
    hint =
      'Start a desktop session with gnome-keyring or KWallet, or run inside `dbus-run-session` with gnome-keyring-daemon unlocked. Tokentray never stores secrets in plain files.';
  }
  return new TokentrayError('keychain_unavailable', message, { hint, cause: error });
}

function parseToken(raw: string): Token | null {
  try {
    const value = JSON.parse(raw) as Partial<Token> | null;
    if (
      value === null ||
      typeof value !== 'object' ||
      typeof value.accessToken !== 'string' ||
      typeof value.tokenType !== 'string' ||
      typeof value.obtainedAt !== 'number' ||
      !(value.expiresAt === null || typeof value.expiresAt === 'number') ||
      typeof value.headers !== 'object' ||
      value.headers === null
    ) {
      return null;
    }
    const token: Token = {
      accessToken: value.accessToken,
      tokenType: value.tokenType,
      headers: { ...value.headers },
      obtainedAt: value.obtainedAt,
      expiresAt: value.expiresAt,
    };
    if (typeof value.scope === 'string') token.scope = value.scope;
    return token;
  } catch {
    return null;
  }
}
