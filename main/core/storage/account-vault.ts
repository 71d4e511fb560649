// What both vault backends share (docs/storage.md): one entry per profile and field, named
// `${profileId}:${field}`, plus `${profileId}:token` for the cached token, on top of a backend's
// plain get/set/delete of named items. The keychain and the encrypted file differ only below that.
import type { SecretField } from '../../../common/providers.js';
import type { Token, Vault } from '../types.js';

export abstract class AccountVault implements Vault {
  abstract getItem(account: string): Promise<string | null>;
  abstract setItem(account: string, value: string): Promise<void>;
  abstract deleteItem(account: string): Promise<void>;
  abstract deleteProfile(profileId: string): Promise<void>;

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

  setCachedToken(profileId: string, token: Token | null): Promise<void> {
    return token === null ? this.deleteItem(`${profileId}:token`) : this.setItem(`${profileId}:token`, JSON.stringify(token));
  }
}

/** A cached token as stored (JSON), or null when it is not one: the same check for both backends. */
export function parseToken(raw: string): Token | null {
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
