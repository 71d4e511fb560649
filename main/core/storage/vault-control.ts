// What a host knows of its vault (docs/storage.md): every backend says which it is, where, and how
// many entries it holds; only the file vault has a passphrase, a lock and a state that changes. The
// keychain is unlocked by the OS, so it has no lock part at all. The core (server, RPC, app-core)
// waits on these ports and never imports a backend.
import type { VaultBackend, VaultInfo, VaultState } from '../../../common/contract.js';
import type { Clock } from '../clock.js';
import { doublingDelay } from '../engine/backoff.js';
import { TokentrayError } from '../errors.js';
import type { Vault } from '../types.js';

export type { VaultBackend, VaultInfo, VaultState } from '../../../common/contract.js';

/** Any vault backend: the plain get/set/delete plus what settings and `vault status` show. */
export interface BackendVault extends Vault {
  readonly backend: VaultBackend;
  /** The vault file's path, or the keychain's service name: shown in settings and `vault status`. */
  readonly location: string;
  /** How many entries (secrets, cached tokens, other items) it holds, or null while locked. */
  count(): Promise<number | null>;
}

/** The part only a passphrase-protected vault (the file) has. */
export interface LockableVault extends BackendVault {
  readonly state: VaultState;
  /** Creates a new vault with this passphrase (only while `absent`); unlocked afterwards. */
  create(passphrase: string): Promise<void>;
  /** Opens an existing vault (only while `locked`). A wrong passphrase is 'vault_passphrase'. */
  unlock(passphrase: string): Promise<void>;
  /**
   * Re-encrypts every entry under a new passphrase (a new salt and key), atomically: the old file
   * stays whole until the new one has replaced it. A wrong current passphrase is 'vault_passphrase',
   * a weak new one 'usage' (main/core/storage/passphrase-rule.ts); either changes nothing. Unlocked afterwards.
   */
  changePassphrase(current: string, next: string): Promise<void>;
  /**
   * Whether this passphrase opens the vault file, checked against the file even while unlocked (a
   * change through the running app asks for it first); a wrong one is 'vault_passphrase'. Changes nothing.
   */
  checkPassphrase(passphrase: string): Promise<void>;
  /** Forgets the key and everything decrypted; the vault is `locked` afterwards. */
  lock(): void;
  /** Returns unsubscribe. */
  onDidChangeState(listener: (state: VaultState) => void): () => void;
  /** Stops watching the file. */
  close(): void;
}

export function isBackendVault(vault: Vault): vault is BackendVault {
  const candidate = vault as Partial<BackendVault>;
  return typeof candidate.backend === 'string' && typeof candidate.count === 'function';
}

export function isLockable(vault: Vault): vault is LockableVault {
  return isBackendVault(vault) && typeof (vault as Partial<LockableVault>).onDidChangeState === 'function';
}

/** A vault without a lock part is always usable from Tokentray's side. */
export function vaultStateOf(vault: Vault): VaultState {
  return isLockable(vault) ? vault.state : 'unlocked';
}

/** Closes what the vault holds open (the file vault's watcher); the others hold nothing. */
export function closeVault(vault: Vault): void {
  if (isLockable(vault)) vault.close();
}

/** withCount false skips counting (the keychain counts by loading every entry of the service). */
export async function vaultInfo(vault: BackendVault, withCount = true): Promise<VaultInfo> {
  const state = vaultStateOf(vault);
  const entries = withCount && state === 'unlocked' ? await vault.count().catch(() => null) : null;
  return { backend: vault.backend, state, location: vault.location, entries };
}

/** The error every vault use answers while the file vault waits for its passphrase. */
export function vaultLockedError(state: VaultState): TokentrayError {
  return state === 'absent'
    ? new TokentrayError('vault_locked', 'The vault has no passphrase yet, so no secret can be stored or read.', {
        hint: 'Open the dashboard and create a passphrase, or start with TOKENTRAY_VAULT_PASSPHRASE set.',
      })
    : new TokentrayError('vault_locked', 'The vault is locked.', {
        hint: 'Unlock it in the dashboard, or start with TOKENTRAY_VAULT_PASSPHRASE (or TOKENTRAY_VAULT_PASSPHRASE_FILE) set.',
      });
}

export interface UnlockThrottleOptions {
  /** The delay after the first wrong passphrase; it doubles with each further one. */
  baseMs: number;
  maxMs: number;
}

/**
 * Repeated wrong passphrases over the dashboard are slowed down (docs/storage.md): after the n-th
 * wrong attempt in a row the next one is refused, without running the KDF, until base * 2^(n-1) ms
 * have passed (capped). A right passphrase resets it. Attempts run one at a time.
 */
export class UnlockThrottle {
  readonly #clock: Clock;
  readonly #options: UnlockThrottleOptions;
  #failures = 0;
  #notBefore = 0;
  #busy = false;

  constructor(clock: Clock, options: UnlockThrottleOptions = { baseMs: 1000, maxMs: 60_000 }) {
    this.#clock = clock;
    this.#options = options;
  }

  async attempt<T>(run: () => Promise<T>): Promise<T> {
    const now = this.#clock.now();
    if (this.#busy || now < this.#notBefore) {
      const waitSec = Math.max(1, Math.ceil((this.#notBefore - now) / 1000));
      throw new TokentrayError('vault_passphrase', this.#busy ? 'Another unlock attempt is running.' : `Too many wrong passphrases: wait ${waitSec} s before trying again.`, {
        hint: 'Each wrong passphrase doubles the wait.',
        ...(this.#busy ? {} : { retryAfterMs: this.#notBefore - now }),
      });
    }
    this.#busy = true;
    try {
      const value = await run();
      this.#failures = 0;
      this.#notBefore = 0;
      return value;
    } catch (error) {
      if (error instanceof TokentrayError && error.kind === 'vault_passphrase') {
        this.#failures += 1;
        this.#notBefore = this.#clock.now() + doublingDelay(this.#failures, this.#options);
      }
      throw error;
    } finally {
      this.#busy = false;
    }
  }
}
