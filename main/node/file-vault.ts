// The `file` vault's store (docs/storage.md): every secret and cached token in one encrypted JSON
// file in the config directory, for machines without a keychain. The format and its crypto live in
// vault-format.ts (docs/vault-file.md); this module queues writes, takes the file lock, writes
// atomically and watches for other processes' writes. A bad file is never written over: every
// failure leaves it byte for byte as it was.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { VaultState } from '../../common/contract.js';
import { AccountVault } from '../core/storage/account-vault.js';
import { TokentrayError } from '../core/errors.js';
import { requireStrongPassphrase } from '../core/storage/passphrase-rule.js';
import { vaultLockedError, type LockableVault } from '../core/storage/vault-control.js';
import { withLockFile } from './lock-file.js';
import { isProcessAlive } from './runtime-file.js';
import {
  damaged,
  DEFAULT_SCRYPT,
  deriveKeys,
  encryptRecord,
  isAccountName,
  isKeyedBy,
  keysForFile,
  newHeader,
  newSalt,
  openVault,
  parseVaultFile,
  serializeVault,
  type ScryptParams,
  type SealedRecord,
  type VaultContents,
  type VaultKeys,
} from './vault-format.js';

export { DEFAULT_SCRYPT, type ScryptParams } from './vault-format.js';

export const VAULT_FILE_NAME = 'vault.json';

/** A temporary file of ours: `.vault.json.<pid>.<8 hex>.tmp`. */
const TEMP_PATTERN = new RegExp(`^\\.${VAULT_FILE_NAME.replace('.', '\\.')}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 15_000;

/** The file as last read or written: which inode, so a write by another process is noticed. */
interface Snapshot extends VaultContents {
  identity: string;
}

type Mutation = { account: string; value: string | null } | { prefix: string };

interface PendingWrite {
  mutations: Mutation[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface FileVaultOptions {
  /** Parameters for a vault created here (an existing file brings its own). */
  scrypt?: ScryptParams;
  /** Watch the file so writes by another process are noticed at once (default true). */
  watch?: boolean;
  /**
   * Runs after a new file is written and flushed, before it is renamed over the old one: tests stop
   * or fail a write exactly there to show that the old file is still whole.
   */
  beforeReplace?: () => Promise<void>;
}

function ioError(action: string, file: string, cause: unknown): TokentrayError {
  return new TokentrayError('keychain_unavailable', `The vault file ${file} could not be ${action}.`, {
    hint: 'Check the permissions of the config directory and the free disk space.',
    cause,
  });
}

function identityOf(stat: fs.BigIntStats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}`;
}

/** The encrypted file vault. One instance per process; other processes may write the same file. */
export class FileVault extends AccountVault implements LockableVault {
  readonly backend = 'file' as const;
  readonly location: string;
  readonly #dir: string;
  readonly #lockPath: string;
  readonly #options: FileVaultOptions;
  #keys: VaultKeys | null = null;
  #snapshot: Snapshot | null = null;
  #state: VaultState;
  #refreshing: Promise<void> | null = null;
  #queue: PendingWrite[] = [];
  #flushing: Promise<void> | null = null;
  #watcher: fs.FSWatcher | null = null;
  readonly #stateListeners = new Set<(state: VaultState) => void>();
  readonly #changeListeners = new Set<() => void>();

  constructor(configDir: string, options: FileVaultOptions = {}) {
    super();
    this.#dir = path.resolve(configDir);
    this.location = path.join(this.#dir, VAULT_FILE_NAME);
    this.#lockPath = `${this.location}.lock`;
    this.#options = options;
    this.#state = fs.existsSync(this.location) ? 'locked' : 'absent';
  }

  get state(): VaultState {
    return this.#state;
  }

  onDidChangeState(listener: (state: VaultState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** Fires after a write by another process was read in. Returns unsubscribe. */
  onDidChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #setState(state: VaultState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of [...this.#stateListeners]) listener(state);
  }

  async create(passphrase: string): Promise<void> {
    if (passphrase === '') {
      throw new TokentrayError('usage', 'An empty passphrase cannot protect the vault.', { hint: 'Choose a passphrase; a long one of several words is best.' });
    }
    if (this.#state === 'unlocked') throw new TokentrayError('usage', 'The vault is already unlocked.');
    await requireStrongPassphrase(passphrase);
    await fsp.mkdir(this.#dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      throw ioError('created', this.location, error);
    });
    const params = this.#options.scrypt ?? DEFAULT_SCRYPT;
    const salt = newSalt();
    const keys = await deriveKeys(passphrase, salt, params);
    const header = newHeader(keys, salt, params);
    const records = new Map<string, SealedRecord>();
    await this.#withFileLock(async () => {
      // Created under the lock, and only where no file is: two first starts never overwrite each other.
      if (fs.existsSync(this.location)) {
        this.#setState('locked');
        throw new TokentrayError('usage', 'A vault file already exists; unlock it instead.', { hint: 'Enter its passphrase.' });
      }
      const identity = await this.#writeFile(serializeVault(keys, header, records));
      this.#snapshot = { header, records, plain: new Map(), identity };
    });
    this.#keys = keys;
    this.#startWatching();
    this.#setState('unlocked');
  }

  async unlock(passphrase: string): Promise<void> {
    if (this.#state === 'unlocked') return;
    let text: string;
    let stat: fs.BigIntStats;
    try {
      [text, stat] = await this.#readFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#setState('absent');
        throw vaultLockedError('absent');
      }
      throw ioError('read', this.location, error);
    }
    const file = parseVaultFile(text);
    const keys = await keysForFile(passphrase, file);
    this.#snapshot = { ...openVault(keys, file), identity: identityOf(stat) };
    this.#keys = keys;
    this.#startWatching();
    this.#setState('unlocked');
  }

  async changePassphrase(current: string, next: string): Promise<void> {
    if (this.#state === 'absent' || !fs.existsSync(this.location)) {
      this.#setState('absent');
      throw vaultLockedError('absent');
    }
    if (next === current) {
      throw new TokentrayError('usage', 'The new passphrase is the same as the current one; nothing was changed.', { hint: 'Choose another passphrase.', field: 'next' });
    }
    await requireStrongPassphrase(next);
    // A new salt and a new key: nothing of the old key is left in the new file. Derived before the
    // lock is taken, so other writers wait only for the re-encryption itself.
    const params = this.#options.scrypt ?? DEFAULT_SCRYPT;
    const salt = newSalt();
    const nextKeys = await deriveKeys(next, salt, params);
    // Writes queued before the change go out first, under the old key.
    while (this.#flushing !== null) await this.#flushing;
    await this.#withFileLock(async () => {
      let text: string;
      try {
        [text] = await this.#readFile();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw vaultLockedError('absent');
        throw ioError('read', this.location, error);
      }
      const file = parseVaultFile(text);
      // The current passphrase is checked against the file itself, even while unlocked: a change
      // needs the passphrase, not only an open dashboard.
      const old = openVault(await keysForFile(current, file), file);
      const header = newHeader(nextKeys, salt, params);
      const records = new Map<string, SealedRecord>();
      for (const [account, value] of old.plain) records.set(account, encryptRecord(nextKeys, account, value));
      const identity = await this.#writeFile(serializeVault(nextKeys, header, records));
      this.#keys = nextKeys;
      this.#snapshot = { header, records, plain: old.plain, identity };
    });
    this.#startWatching();
    this.#setState('unlocked');
  }

  async checkPassphrase(passphrase: string): Promise<void> {
    let text: string;
    try {
      [text] = await this.#readFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#setState('absent');
        throw vaultLockedError('absent');
      }
      throw ioError('read', this.location, error);
    }
    await keysForFile(passphrase, parseVaultFile(text));
  }

  lock(): void {
    this.#keys = null;
    this.#snapshot = null;
    this.#stopWatching();
    this.#setState(fs.existsSync(this.location) ? 'locked' : 'absent');
  }

  close(): void {
    this.#stopWatching();
  }

  async count(): Promise<number | null> {
    if (this.#state !== 'unlocked') return null;
    return (await this.#current()).plain.size;
  }

  /** Every account name, for migration. */
  async accounts(): Promise<string[]> {
    return [...(await this.#current()).plain.keys()].sort();
  }

  deleteProfile(profileId: string): Promise<void> {
    return this.#enqueue({ prefix: `${profileId}:` });
  }

  async getItem(account: string): Promise<string | null> {
    return (await this.#current()).plain.get(account) ?? null;
  }

  setItem(account: string, value: string): Promise<void> {
    if (!isAccountName(account)) return Promise.reject(new TokentrayError('internal', 'A vault entry name is malformed.'));
    return this.#enqueue({ account, value });
  }

  deleteItem(account: string): Promise<void> {
    return this.#enqueue({ account, value: null });
  }

  #requireKeys(): VaultKeys {
    if (this.#keys === null || this.#state !== 'unlocked') throw vaultLockedError(this.#state);
    return this.#keys;
  }

  /**
   * The records as the file holds them now. A stat per read (no KDF): a write by another process
   * (the CLI adding a profile while `serve` runs) is seen by the next read, even before the watcher fires.
   */
  async #current(): Promise<Snapshot> {
    this.#requireKeys();
    await this.#refreshIfChanged();
    return this.#snapshot as Snapshot;
  }

  #refreshIfChanged(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const keys = this.#requireKeys();
        let stat: fs.BigIntStats;
        try {
          stat = await fsp.stat(this.location, { bigint: true });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw damaged('the file was removed while the vault was open', 'Restore it from a backup, or lock and create a new vault.');
          throw ioError('read', this.location, error);
        }
        if (this.#snapshot !== null && identityOf(stat) === this.#snapshot.identity) return;
        let snapshot: Snapshot;
        try {
          snapshot = await this.#readVerified(keys);
        } catch (error) {
          // Re-keyed by changePassphrase (or locked) while this read ran: its snapshot is the current one.
          if (this.#keys !== keys) return;
          throw error;
        }
        if (this.#keys !== keys) return; // locked meanwhile
        this.#snapshot = snapshot;
        for (const listener of [...this.#changeListeners]) listener();
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  async #readVerified(keys: VaultKeys): Promise<Snapshot> {
    let text: string;
    let stat: fs.BigIntStats;
    try {
      [text, stat] = await this.#readFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw damaged('the file was removed while the vault was open', 'Restore it from a backup, or lock and create a new vault.');
      throw ioError('read', this.location, error);
    }
    const file = parseVaultFile(text);
    if (this.#snapshot === null || !isKeyedBy(keys, file, this.#snapshot.header.kdf.salt)) {
      throw new TokentrayError('vault_locked', 'The vault file was replaced by one with another passphrase.', { hint: 'Lock the vault and unlock it with the new passphrase.' });
    }
    return { ...openVault(keys, file), identity: identityOf(stat) };
  }

  async #readFile(): Promise<[string, fs.BigIntStats]> {
    const handle = await fsp.open(this.location, 'r');
    try {
      const stat = await handle.stat({ bigint: true });
      return [await handle.readFile('utf8'), stat];
    } finally {
      await handle.close();
    }
  }

  /** Writes are queued: what arrives while a write runs goes out together in the next one. */
  #enqueue(mutation: Mutation): Promise<void> {
    try {
      this.#requireKeys();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      const last = this.#queue.at(-1);
      if (last !== undefined) last.mutations.push(mutation);
      else this.#queue.push({ mutations: [mutation], resolve, reject });
      if (last !== undefined) {
        const { resolve: previousResolve, reject: previousReject } = last;
        last.resolve = () => {
          previousResolve();
          resolve();
        };
        last.reject = (error) => {
          previousReject(error);
          reject(error);
        };
      }
      if (this.#flushing === null) this.#flushing = this.#flush();
    });
  }

  async #flush(): Promise<void> {
    try {
      for (let batch = this.#queue.shift(); batch !== undefined; batch = this.#queue.shift()) {
        try {
          await this.#apply(batch.mutations);
          batch.resolve();
        } catch (error) {
          batch.reject(error);
        }
      }
    } finally {
      this.#flushing = null;
    }
  }

  /** Under the file lock: re-read (another process may have written), apply, write, all or nothing. */
  async #apply(mutations: readonly Mutation[]): Promise<void> {
    this.#requireKeys();
    await this.#withFileLock(async () => {
      // The key as it is once the lock is ours: a passphrase change may have re-keyed the file meanwhile.
      const keys = this.#requireKeys();
      await this.#refreshIfChanged();
      const base = this.#snapshot as Snapshot;
      const records = new Map(base.records);
      const plain = new Map(base.plain);
      for (const mutation of mutations) {
        if ('prefix' in mutation) {
          for (const account of [...plain.keys()]) {
            if (account.startsWith(mutation.prefix)) {
              records.delete(account);
              plain.delete(account);
            }
          }
        } else if (mutation.value === null) {
          records.delete(mutation.account);
          plain.delete(mutation.account);
        } else if (plain.get(mutation.account) !== mutation.value) {
          records.set(mutation.account, encryptRecord(keys, mutation.account, mutation.value));
          plain.set(mutation.account, mutation.value);
        }
      }
      if (records.size === base.records.size && [...records].every(([account, record]) => base.records.get(account) === record)) return;
      const identity = await this.#writeFile(serializeVault(keys, base.header, records));
      if (this.#keys === keys) this.#snapshot = { header: base.header, records, plain, identity };
    });
  }

  /**
   * Temp file in the same directory, fsync, rename over, fsync the directory: a crash leaves old or
   * new. Called under the file lock only.
   */
  async #writeFile(text: string): Promise<string> {
    await this.#removeStaleTemps();
    const temp = path.join(this.#dir, `.${VAULT_FILE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const handle = await fsp.open(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.#options.beforeReplace?.();
      await fsp.rename(temp, this.location);
      const dir = await fsp.open(this.#dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      return identityOf(await fsp.stat(this.location, { bigint: true }));
    } catch (error) {
      await fsp.rm(temp, { force: true }).catch(() => undefined);
      throw ioError('written', this.location, error);
    }
  }

  /**
   * A writer killed between writing its temporary file and renaming it leaves that file behind (the
   * vault itself is whole). Under the lock, no live writer owns one whose process is gone.
   */
  async #removeStaleTemps(): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.#dir);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = TEMP_PATTERN.exec(name)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid && !isProcessAlive(Number(pid))) {
        await fsp.rm(path.join(this.#dir, name), { force: true }).catch(() => undefined);
      }
    }
  }

  /** Another process's writes wait for ours (main/node/lock-file.ts). */
  #withFileLock<T>(body: () => Promise<T>): Promise<T> {
    return withLockFile(this.#lockPath, body, {
      waitMs: LOCK_WAIT_MS,
      staleMs: LOCK_STALE_MS,
      onBusy: () =>
        new TokentrayError('vault_busy', `Another process has held the vault's lock (${this.#lockPath}) for too long.`, {
          hint: 'Wait for the other Tokentray command to finish; if none runs, remove that lock file.',
        }),
      onIoError: (error) => ioError('locked', this.location, error),
    });
  }

  #startWatching(): void {
    if (this.#options.watch === false || this.#watcher !== null) return;
    try {
      // The directory, not the file: every write renames a new file over the old one.
      this.#watcher = fs.watch(this.#dir, { persistent: false }, (_event, name) => {
        if (name !== VAULT_FILE_NAME || this.#state !== 'unlocked') return;
        this.#refreshIfChanged().catch(() => undefined);
      });
      this.#watcher.on('error', () => this.#stopWatching());
    } catch {
      // Without a watcher, reads still notice changes (a stat per read).
    }
  }

  #stopWatching(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }
}
