// The OS keychain through keytar (docs/storage.md): one entry per profile and secret field, plus the
// cached current token, under one service name. A locked or absent keychain is a clear
// 'keychain_unavailable' error; there is no plaintext fallback, ever.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { AccountVault } from '../core/storage/account-vault.js';
import { TokentrayError } from '../core/errors.js';
import type { BackendVault } from '../core/storage/vault-control.js';
import { withLockFile } from './lock-file.js';

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
  /** Waits before each retry of a transient Secret Service error (see isTransientKeychainError). */
  retryDelaysMs?: readonly number[];
}

/**
 * gnome-keyring answers these when an item vanished between two steps of one call: another process
 * (a second CLI, the app, a parallel test) deleted or replaced an entry of the same service while
 * findCredentials loaded every secret, or while setPassword replaced an item. Measured with two
 * processes churning one service: "No such interface “org.freedesktop.Secret.Item” on object at path
 * …/collection/login/114", "Object does not exist at path “…/collection/login/132”", and (one process,
 * many deleteProfile calls at once) "No such secret item at path: …/collection/login/11". Every keytar
 * call we make is idempotent, so trying again a moment later is the honest answer.
 */
export function isTransientKeychainError(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /No such interface .{0,3}org\.freedesktop\.Secret\.Item|Object does not exist at path|No such secret item at path|UnknownObject|No such object/i.test(text);
}

const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [20, 60, 150, 400];

// No lock part (vault-control.ts): the OS unlocks the keychain, not Tokentray, and a locked one fails
// each call with keychain_unavailable.
export class KeytarVault extends AccountVault implements BackendVault {
  readonly backend = 'keychain' as const;
  readonly service: string;
  readonly #keytar: KeytarLike | undefined;
  readonly #retryDelaysMs: readonly number[];
  #queue: Promise<void> = Promise.resolve();
  readonly #lockPath: string;

  constructor(options: KeytarVaultOptions = {}) {
    super();
    this.service = options.service ?? (process.env.TOKENTRAY_KEYCHAIN_SERVICE || DEFAULT_KEYCHAIN_SERVICE);
    this.#keytar = options.keytar;
    this.#retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    // Per user and service, in the user's runtime folder where there is one.
    const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
    const digest = createHash('sha256').update(this.service).digest('hex').slice(0, 12);
    this.#lockPath = path.join(process.env.XDG_RUNTIME_DIR || os.tmpdir(), `tokentray-keychain-${uid}-${digest}.lock`);
  }

  get location(): string {
    return this.service;
  }

  async count(): Promise<number> {
    return (await this.accounts()).length;
  }

  /** Every account under the service (the probe's excepted), for `vault status` and migration. */
  async accounts(): Promise<string[]> {
    const entries = await this.#exclusive(() => this.#call((k) => k.findCredentials(this.service)));
    return entries.map((e) => e.account).filter((a) => a !== PROBE_ACCOUNT).sort();
  }

  /**
   * Throws keychain_unavailable when the keychain cannot be written. Reading a locked collection
   * succeeds with "nothing found" on Linux, so the probe writes and removes a harmless entry.
   */
  async probe(): Promise<void> {
    await this.#call((k) => k.setPassword(this.service, PROBE_ACCOUNT, 'ok'));
    await this.#exclusive(() => this.#call((k) => k.deletePassword(this.service, PROBE_ACCOUNT)));
  }

  /**
   * Whether a keychain answers at all (one read, nothing written): `auto`'s question. A locked
   * keychain answers too, and then says it is locked on the first write instead of being passed over.
   */
  async answers(): Promise<void> {
    await this.#call((k) => k.getPassword(this.service, PROBE_ACCOUNT));
  }

  deleteProfile(profileId: string): Promise<void> {
    return this.#exclusive(async () => {
      const prefix = `${profileId}:`;
      const entries = await this.#call((k) => k.findCredentials(this.service));
      for (const { account } of entries) {
        if (account.startsWith(prefix)) await this.#call((k) => k.deletePassword(this.service, account));
      }
    });
  }

  getItem(account: string): Promise<string | null> {
    return this.#call((k) => k.getPassword(this.service, account));
  }

  setItem(account: string, value: string): Promise<void> {
    return this.#call((k) => k.setPassword(this.service, account, value));
  }

  async deleteItem(account: string): Promise<void> {
    await this.#exclusive(() => this.#call((k) => k.deletePassword(this.service, account)));
  }

  /**
   * findCredentials loads every secret of the service, and an item deleted between its search and
   * its load crashes keytar (libsecret "secret_value_get_text: assertion 'value' failed", then a NULL
   * read): seen with 40 deletes at once in one process, and with the CLI and a running app deleting
   * at the same moment. So every search and every delete runs alone: one at a time in this process,
   * and under a lock file shared by every Tokentray process of this user on the same service. A lock
   * held too long (another user's file in a shared folder, a hung process) is waited out, then
   * ignored: the lock may not make the keychain unusable.
   */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => withLockFile(this.#lockPath, work, { waitMs: 10_000, staleMs: 30_000, onBusy: () => null }));
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #call<T>(operation: (keytar: KeytarLike) => Promise<T>): Promise<T> {
    const keytar = this.#keytar ?? loadKeytar();
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await operation(keytar);
      } catch (error) {
        const delay = this.#retryDelaysMs[attempt];
        if (delay === undefined || !isTransientKeychainError(error)) throw keychainError(error);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
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
  } else if (isTransientKeychainError(error)) {
    message = 'The OS keychain kept changing while Tokentray used it (another program was adding or removing entries).';
    hint = 'Try again in a moment.';
  } else if (/autolaunch|D-?Bus|Could not connect|org\.freedesktop\.secrets|secret service|ServiceUnknown/i.test(text)) {
    message = 'No keychain service (Secret Service over D-Bus) is running.';
    hint =
      'Start a desktop session with gnome-keyring or KWallet, or run inside `dbus-run-session` with gnome-keyring-daemon unlocked. Tokentray never stores secrets in plain files.';
  }
  return new TokentrayError('keychain_unavailable', message, { hint, cause: error });
}
