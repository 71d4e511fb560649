// The file vault's format and crypto, as docs/vault-file.md describes them: parse and write the
// text of `vault.json`, derive the keys, seal and open records. Pure (no file system), so every
// rule of the format is tested on strings and the store (file-vault.ts) only moves bytes.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { TokentrayError } from '../core/errors.js';

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

export interface SealedRecord {
  nonce: string;
  data: string;
}

export interface VaultHeader {
  format: typeof VAULT_FORMAT;
  version: typeof VAULT_VERSION;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  keyCheck: string;
  headerSha256: string;
}

export interface VaultFile extends VaultHeader {
  records: Record<string, SealedRecord>;
  seal: string;
}

/** The two halves of the scrypt output: AES-256-GCM and HMAC-SHA256. */
export interface VaultKeys {
  enc: Buffer;
  mac: Buffer;
}

/** A vault opened with its keys: the sealed records as written and their plain values. */
export interface VaultContents {
  header: VaultHeader;
  records: Map<string, SealedRecord>;
  plain: Map<string, string>;
}

export function damaged(what: string, hint = 'Restore the file from a backup, or move it aside to start a new vault (its secrets are then lost). Tokentray leaves it as it is.'): TokentrayError {
  return new TokentrayError('vault_damaged', `The vault file is damaged or was tampered with: ${what}.`, { hint });
}

function wrongPassphrase(): TokentrayError {
  return new TokentrayError('vault_passphrase', 'The passphrase does not open the vault.', {
    hint: 'Check TOKENTRAY_VAULT_PASSPHRASE, TOKENTRAY_VAULT_PASSPHRASE_FILE or what you typed. A lost passphrase cannot be recovered.',
  });
}

/** `<profileId>:<field>`, each side a short safe name. */
export function isAccountName(account: string): boolean {
  return ACCOUNT_PATTERN.test(account);
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

function keyCheckOf(keys: VaultKeys): string {
  return createHmac('sha256', keys.mac).update(`${AD_PREFIX}\0key-check`).digest('base64');
}

function sealOf(keys: VaultKeys, header: VaultHeader, records: ReadonlyMap<string, SealedRecord>): string {
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

/** A fresh random salt: every new file and every new passphrase gets its own. */
export function newSalt(): Buffer {
  return randomBytes(16);
}

export function deriveKeys(passphrase: string, salt: Buffer, params: ScryptParams): Promise<VaultKeys> {
  return new Promise((resolve, reject) => {
    // Async scrypt runs on libuv's pool: the server keeps answering while a passphrase is tried.
    scrypt(passphrase.normalize('NFC'), salt, 64, { ...params, maxmem: 256 * params.N * params.r + 16 * 1024 * 1024 }, (error, key) => {
      if (error) reject(new TokentrayError('internal', 'The vault key could not be derived.', { cause: error }));
      else resolve({ enc: key.subarray(0, 32), mac: key.subarray(32, 64) });
    });
  });
}

/** The keys a passphrase gives for this file, or `vault_passphrase` when they are not its keys. */
export async function keysForFile(passphrase: string, file: VaultFile): Promise<VaultKeys> {
  const keys = await deriveKeys(passphrase, Buffer.from(file.kdf.salt, 'base64'), file.kdf);
  if (!sameBase64(keyCheckOf(keys), file.keyCheck)) throw wrongPassphrase();
  return keys;
}

/** Whether the file was written with these keys (same salt, same key check). */
export function isKeyedBy(keys: VaultKeys, file: VaultFile, salt: string): boolean {
  return sameBase64(keyCheckOf(keys), file.keyCheck) && file.kdf.salt === salt;
}

/** The header of a new file for keys derived from `salt` with `params`. */
export function newHeader(keys: VaultKeys, salt: Buffer, params: ScryptParams): VaultHeader {
  const partial = { format: VAULT_FORMAT, version: VAULT_VERSION, kdf: { name: 'scrypt', ...params, salt: salt.toString('base64') }, keyCheck: keyCheckOf(keys) } as const;
  return { ...partial, headerSha256: headerDigest(partial) };
}

export function encryptRecord(keys: VaultKeys, account: string, value: string): SealedRecord {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.enc, nonce);
  cipher.setAAD(additionalData(account));
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { nonce: nonce.toString('base64'), data: data.toString('base64') };
}

export function decryptRecord(keys: VaultKeys, account: string, record: SealedRecord): string {
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
    if (!isAccountName(account)) throw damaged('a record has a malformed name');
    if (!isObject(record) || !isBase64(record.nonce, 12) || !isBase64(record.data)) throw damaged(`the record "${account}" is malformed`);
    records[account] = { nonce: record.nonce, data: record.data };
  }
  if (!isBase64(raw.seal, 32)) throw damaged('the seal is missing or malformed');
  return { ...header, records, seal: raw.seal };
}

/** The file's text: records in name order and the seal over them, so equal contents write equal bytes. */
export function serializeVault(keys: VaultKeys, header: VaultHeader, records: ReadonlyMap<string, SealedRecord>): string {
  const sorted = Object.fromEntries([...records].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const file: VaultFile = { ...header, records: sorted, seal: sealOf(keys, header, records) };
  return `${JSON.stringify(file)}\n`;
}

/** Decrypts every record and checks the seal: a file is trusted whole or not at all. */
export function openVault(keys: VaultKeys, file: VaultFile): VaultContents {
  const header: VaultHeader = { format: file.format, version: file.version, kdf: file.kdf, keyCheck: file.keyCheck, headerSha256: file.headerSha256 };
  const records = new Map(Object.entries(file.records));
  const plain = new Map<string, string>();
  for (const [account, record] of records) plain.set(account, decryptRecord(keys, account, record));
  if (!sameBase64(sealOf(keys, header, records), file.seal)) throw damaged('records were removed, added or replaced by older ones');
  return { header, records, plain };
}
