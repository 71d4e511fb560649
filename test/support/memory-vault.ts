// An in-memory Vault for unit tests and the benchmark (integration tests use the real keychain).
// It can be made to fail like a locked keychain, and counts calls so tests can prove what was read.
import type { SecretField } from '../../common/providers.js';
import { TokentrayError } from '../../main/core/errors.js';
import type { Token, Vault } from '../../main/core/types.js';

export class MemoryVault implements Vault {
  private readonly items = new Map<string, string>();
  /** When true every call fails like a locked keychain. */
  locked = false;
  /** When true only setCachedToken fails (the engine must treat that as non-fatal). */
  failCacheWrites = false;
  readonly calls = { getSecret: 0, getCachedToken: 0, setCachedToken: 0 };

  async getSecret(profileId: string, field: SecretField): Promise<string | null> {
    this.calls.getSecret += 1;
    this.check();
    return this.items.get(`${profileId}:${field}`) ?? null;
  }

  async setSecret(profileId: string, field: SecretField, value: string): Promise<void> {
    this.check();
    this.items.set(`${profileId}:${field}`, value);
  }

  async deleteSecret(profileId: string, field: SecretField): Promise<void> {
    this.check();
    this.items.delete(`${profileId}:${field}`);
  }

  async getCachedToken(profileId: string): Promise<Token | null> {
    this.calls.getCachedToken += 1;
    this.check();
    const raw = this.items.get(`${profileId}:token`);
    return raw === undefined ? null : (JSON.parse(raw) as Token);
  }

  async setCachedToken(profileId: string, token: Token | null): Promise<void> {
    this.calls.setCachedToken += 1;
    this.check();
    if (this.failCacheWrites) throw new TokentrayError('keychain_unavailable', 'The keychain refused the write.');
    if (token === null) this.items.delete(`${profileId}:token`);
    else this.items.set(`${profileId}:token`, JSON.stringify(token));
  }

  async deleteProfile(profileId: string): Promise<void> {
    this.check();
    for (const key of [...this.items.keys()]) if (key.startsWith(`${profileId}:`)) this.items.delete(key);
  }

  async getItem(account: string): Promise<string | null> {
    this.check();
    return this.items.get(`item:${account}`) ?? null;
  }

  async setItem(account: string, value: string): Promise<void> {
    this.check();
    this.items.set(`item:${account}`, value);
  }

  async deleteItem(account: string): Promise<void> {
    this.check();
    this.items.delete(`item:${account}`);
  }

  /** Every account name held, for assertions that something was (or was not) removed. */
  keys(): string[] {
    return [...this.items.keys()];
  }

  private check(): void {
    if (this.locked) {
      throw new TokentrayError('keychain_unavailable', 'The keychain is locked.', { hint: 'Unlock it and try again.' });
    }
  }
}
