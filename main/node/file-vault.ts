// The `file` vault (docs/storage.md): every secret and cached token in one encrypted JSON
// file in the config directory, for machines without a keychain. aws-vault's `file` backend is the
// model; this one adds per-record binding and a keyed seal over the whole record set.
//
// Format 1 (`vault.json`, mode 0600):
//   { format: "tokentray-vault", version: 1,
//     kdf: { name: "scrypt", N, r, p, salt },            scrypt(passphrase, salt) -> 64 bytes:
//                                                         32 for AES-256-GCM, 32 for HMAC-SHA256
//     keyCheck,                                           HMAC(macKey, "key-check"): a wrong passphrase
//     headerSha256,                                       sha256 of the three above: a damaged header
//     records: { "<profileId>:<field>": { nonce, data } }  AES-256-GCM, random 96-bit nonce, additional
//                                                         data "tokentray-vault/1\0<profileId>\0<field>"
//     seal }                                              HMAC(macKey, header + every record): a record
//                                                         removed, added or rolled back
// so a wrong passphrase (keyCheck fails on an intact header) is told apart from a damaged file, and a
// record moved to another profile or field, or altered, does not open. A bad file is never written
// over: every failure leaves it byte for byte as it was.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { VaultState } from '../../common/contract.js';
import { AccountVault } from '../core/account-vault.js';
import { TokentrayError } from '../core/errors.js';
import { requireStrongPassphrase } from '../core/passphrase-rule.js';
import { vaultLockedError, type LockableVault } from '../core/vault-control.js';
import { withLockFile } from './lock-file.js';
import { isProcessAlive } from './runtime-file.js';

export const VAULT_FILE_NAME = 'vault.json';
export const VAULT_FORMAT = 'tokentray-vault';
export const VAULT_VERSION = 1;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * About 0.2-0.5 s on a current machine (measured by `npm run bench -- vault`), 64 MiB of memory:
 * memory-hard enough that guessing is slow, quick enough that unlocking does not feel slow.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 16, r: 8, p: 1 };
/** Bounds for parameters read from a file: a header cannot make us spend minutes or gigabytes. */
const SCRYPT_BOUNDS = { minLogN: 10, maxLogN: 22, maxR: 32, maxP: 16 };

const AD_PREFIX = `${VAULT_FORMAT}/${VAULT_VERSION}`;
const ACCOUNT_PATTERN = /^[A-Za-z0-9._-]{1,64}:[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** A temporary file of ours: `.vault.json.<pid>.<8 hex>.tmp`. */
const TEMP_PATTERN = new RegExp(`^\\.${VAULT_FILE_NAME.replace('.', '\\.')}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 15_000;

interface SealedRecord {
  nonce: string;
  data: string;
}

interface VaultHeader {
  format: typeof VAULT_FORMAT;
  version: typeof VAULT_VERSION;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  keyCheck: string;
  headerSha256: string;
}

interface VaultFile extends VaultHeader {
  records: Record<string, SealedRecord>;
  seal: string;
}

interface Keys {
  enc: Buffer;
  mac: Buffer;
}

/** The file as last read or written: which inode, so a write by another process is noticed. */
interface Snapshot {
  header: VaultHeader;
  records: Map<string, SealedRecord>;
  plain: Map<string, string>;
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

function damaged(what: string, hint = 'Restore the file from a backup, or move it aside to start a new vault (its secrets are then lost). Tokentray leaves it as it is.'): TokentrayError {
  return new TokentrayError('vault_damaged', `The vault file is damaged or was tampered with: ${what}.`, { hint });
}

function wrongPassphrase(): TokentrayError {
  return new TokentrayError('vault_passphrase', 'The passphrase does not open the vault.', {
    hint: 'Check TOKENTRAY_VAULT_PASSPHRASE, TOKENTRAY_VAULT_PASSPHRASE_FILE or what you typed. A lost passphrase cannot be recovered.',
  });
}

/** The file's keys from this passphrase, or 'vault_passphrase' when it is not the file's. */
async function keysIfRight(passphrase: string, file: VaultFile): Promise<Keys> {
  const keys = await deriveKeys(passphrase, Buffer.from(file.kdf.salt, 'base64'), file.kdf);
  if (!sameBase64(keyCheckOf(keys), file.keyCheck)) throw wrongPassphrase();
  return keys;
}

function ioError(action: string, file: string, cause: unknown): TokentrayError {
  return new TokentrayError('keychain_unavailable', `The vault file ${file} could not be ${action}.`, {
    hint: 'Check the permissions of the config directory and the free disk space.',
    cause,
  });
}

function additionalData(account: string): Buffer {
  const colon = account.indexOf(':');
  return Buffer.from(`${AD_PREFIX}\0${account.slice(0, colon)}\0${account.slice(colon + 1)}`, 'utf8');
}

function headerDigest(header: Omit<VaultHeader, 'headerSha256'>): string {
  const { N, r, p, salt } = header.kdf;
  return createHash('sha256')
    .update(`${header.format}\0${header.version}\0scrypt\0${N}\0${r}\0${p}\0${salt}\0${header.keyCheck}`)
    .digest('base64');
}

function keyCheckOf(keys: Keys): string {
  return createHmac('sha256', keys.mac).update(`${AD_PREFIX}\0key-check`).digest('base64');
}

function sealOf(keys: Keys, header: VaultHeader, records: ReadonlyMap<string, SealedRecord>): string {
  const hmac = createHmac('sha256', keys.mac).update(`${AD_PREFIX}\0seal\0${header.headerSha256}\n`);
  for (const account of [...records.keys()].sort()) {
    const record = records.get(account) as SealedRecord;
    hmac.update(`${account}\0${record.nonce}\0${record.data}\n`);
  }
  return hmac.digest('base64');
}

function sameBase64(a: string, b: string): boolean {
  // Compared as written, not decoded: two spellings of one digest (unused low bits) are a change.
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function deriveKeys(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Keys> {
  return new Promise((resolve, reject) => {
    // Async scrypt runs on libuv's pool: the server keeps answering while a passphrase is tried.
    scrypt(passphrase.normalize('NFC'), salt, 64, { ...params, maxmem: 256 * params.N * params.r + 16 * 1024 * 1024 }, (error, key) => {
      if (error) reject(new TokentrayError('internal', 'The vault key could not be derived.', { cause: error }));
      else resolve({ enc: key.subarray(0, 32), mac: key.subarray(32, 64) });
    });
  });
}

function encrypt(keys: Keys, account: string, value: string): SealedRecord {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.enc, nonce);
  cipher.setAAD(additionalData(account));
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { nonce: nonce.toString('base64'), data: data.toString('base64') };
}

function decrypt(keys: Keys, account: string, record: SealedRecord): string {
  const nonce = Buffer.from(record.nonce, 'base64');
  const data = Buffer.from(record.data, 'base64');
  if (nonce.length !== 12 || data.length < 16) throw damaged(`the record "${account}" is cut short`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', keys.enc, nonce);
    decipher.setAAD(additionalData(account));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw damaged(`the record "${account}" does not open (altered, or moved from another profile or field)`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBase64(value: unknown, bytes?: number): value is string {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) return false;
  // Only the canonical spelling: the last character's unused bits must be zero, or a flipped bit there
  // would decode to the same bytes and go unnoticed (tamper tests flip every byte).
  const decoded = Buffer.from(value, 'base64');
  return decoded.toString('base64') === value && (bytes === undefined || decoded.length === bytes);
}

/** Checks the structure and the header's digest; everything that needs no key. */
export function parseVaultFile(text: string): VaultFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw damaged(text.length === 0 ? 'the file is empty' : 'it is not valid JSON (truncated or altered)');
  }
  if (!isObject(raw) || raw.format !== VAULT_FORMAT) throw damaged('it is not a Tokentray vault file');
  if (raw.version !== VAULT_VERSION) {
    throw new TokentrayError('vault_damaged', `The vault file has format version ${JSON.stringify(raw.version)}, which this Tokentray does not read (it reads version ${VAULT_VERSION}).`, {
      hint: 'A newer Tokentray may have written it: use that version. Tokentray leaves the file as it is.',
    });
  }
  const kdf = raw.kdf;
  if (!isObject(kdf) || kdf.name !== 'scrypt') throw damaged('the key derivation settings are missing or unknown');
  const { N, r, p } = kdf;
  if (
    typeof N !== 'number' || !Number.isInteger(Math.log2(N)) || Math.log2(N) < SCRYPT_BOUNDS.minLogN || Math.log2(N) > SCRYPT_BOUNDS.maxLogN ||
    typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > SCRYPT_BOUNDS.maxR ||
    typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > SCRYPT_BOUNDS.maxP
  ) {
    throw damaged('the key derivation parameters are out of range');
  }
  if (!isBase64(kdf.salt, 16)) throw damaged('the salt is malformed');
  if (!isBase64(raw.keyCheck, 32)) throw damaged('the key check is malformed');
  if (!isBase64(raw.headerSha256, 32)) throw damaged('the header checksum is malformed');
  const header: VaultHeader = {
    format: VAULT_FORMAT,
    version: VAULT_VERSION,
    kdf: { name: 'scrypt', N, r, p, salt: kdf.salt },
    keyCheck: raw.keyCheck,
    headerSha256: raw.headerSha256,
  };
  if (!sameBase64(headerDigest(header), header.headerSha256)) throw damaged('the header does not match its checksum');
  if (!isObject(raw.records)) throw damaged('the record list is missing');
  const records: Record<string, SealedRecord> = {};
  for (const [account, record] of Object.entries(raw.records)) {
    if (!ACCOUNT_PATTERN.test(account)) throw damaged('a record has a malformed name');
    if (!isObject(record) || !isBase64(record.nonce, 12) || !isBase64(record.data)) throw damaged(`the record "${account}" is malformed`);
    records[account] = { nonce: record.nonce, data: record.data };
  }
  if (!isBase64(raw.seal, 32)) throw damaged('the seal is missing or malformed');
  return { ...header, records, seal: raw.seal };
}

function serialize(header: VaultHeader, records: ReadonlyMap<string, SealedRecord>, seal: string): string {
  const file: VaultFile = { ...header, records: Object.fromEntries([...records].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), seal };
  return `${JSON.stringify(file)}\n`;
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
  #keys: Keys | null = null;
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
    const salt = randomBytes(16);
    const keys = await deriveKeys(passphrase, salt, params);
    const partial = { format: VAULT_FORMAT, version: VAULT_VERSION, kdf: { name: 'scrypt', ...params, salt: salt.toString('base64') }, keyCheck: keyCheckOf(keys) } as const;
    const header: VaultHeader = { ...partial, headerSha256: headerDigest(partial) };
    const records = new Map<string, SealedRecord>();
    await this.#withFileLock(async () => {
      // Created under the lock, and only where no file is: two first starts never overwrite each other.
      if (fs.existsSync(this.location)) {
        this.#setState('locked');
        throw new TokentrayError('usage', 'A vault file already exists; unlock it instead.', { hint: 'Enter its passphrase.' });
      }
      const identity = await this.#writeFile(serialize(header, records, sealOf(keys, header, records)));
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
    const keys = await keysIfRight(passphrase, file);
    this.#snapshot = openRecords(keys, file, identityOf(stat));
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
    const salt = randomBytes(16);
    const nextKeys = await deriveKeys(next, salt, params);
    // Writes queued before the change go out first, under the old key.
    while (this.#flushing !== null) await this.#flushing;
    await this.#withFileLock(async () => {
      let text: string;
      let stat: fs.BigIntStats;
      try {
        [text, stat] = await this.#readFile();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw vaultLockedError('absent');
        throw ioError('read', this.location, error);
      }
      const file = parseVaultFile(text);
      // The current passphrase is checked against the file itself, even while unlocked: a change
      // needs the passphrase, not only an open dashboard.
      const keys = await keysIfRight(current, file);
      const old = openRecords(keys, file, identityOf(stat));
      const partial = { format: VAULT_FORMAT, version: VAULT_VERSION, kdf: { name: 'scrypt', ...params, salt: salt.toString('base64') }, keyCheck: keyCheckOf(nextKeys) } as const;
      const header: VaultHeader = { ...partial, headerSha256: headerDigest(partial) };
      const records = new Map<string, SealedRecord>();
      for (const [account, value] of old.plain) records.set(account, encrypt(nextKeys, account, value));
      const identity = await this.#writeFile(serialize(header, records, sealOf(nextKeys, header, records)));
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
    await keysIfRight(passphrase, parseVaultFile(text));
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
    if (!ACCOUNT_PATTERN.test(account)) return Promise.reject(new TokentrayError('internal', 'A vault entry name is malformed.'));
    return this.#enqueue({ account, value });
  }

  deleteItem(account: string): Promise<void> {
    return this.#enqueue({ account, value: null });
  }

  #requireKeys(): Keys {
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

  async #readVerified(keys: Keys): Promise<Snapshot> {
    let text: string;
    let stat: fs.BigIntStats;
    try {
      [text, stat] = await this.#readFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw damaged('the file was removed while the vault was open', 'Restore it from a backup, or lock and create a new vault.');
      throw ioError('read', this.location, error);
    }
    const file = parseVaultFile(text);
    if (!sameBase64(keyCheckOf(keys), file.keyCheck) || file.kdf.salt !== this.#snapshot?.header.kdf.salt) {
      throw new TokentrayError('vault_locked', 'The vault file was replaced by one with another passphrase.', { hint: 'Lock the vault and unlock it with the new passphrase.' });
    }
    return openRecords(keys, file, identityOf(stat));
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
          records.set(mutation.account, encrypt(keys, mutation.account, mutation.value));
          plain.set(mutation.account, mutation.value);
        }
      }
      if (records.size === base.records.size && [...records].every(([account, record]) => base.records.get(account) === record)) return;
      const identity = await this.#writeFile(serialize(base.header, records, sealOf(keys, base.header, records)));
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

/** Decrypts every record and checks the seal: a file is trusted whole or not at all. */
function openRecords(keys: Keys, file: VaultFile, identity: string): Snapshot {
  const header: VaultHeader = { format: file.format, version: file.version, kdf: file.kdf, keyCheck: file.keyCheck, headerSha256: file.headerSha256 };
  const records = new Map(Object.entries(file.records));
  const plain = new Map<string, string>();
  for (const [account, record] of records) plain.set(account, decrypt(keys, account, record));
  if (!sameBase64(sealOf(keys, header, records), file.seal)) throw damaged('records were removed, added or replaced by older ones');
  return { header, records, plain, identity };
}
