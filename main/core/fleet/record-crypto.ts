// The fleet key and the records it seals (docs/shared-cache.md): every value Tokentray puts in the
// shared cache is AES-256-GCM ciphertext, bound to its cache key, its kind and its header, so Redis
// never holds a token, a cookie or a secret in clear, and a record moved to another key, altered or
// sealed with another key is refused instead of served.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { TokentrayError } from '../errors.js';

/** The record format's version; docs/shared-cache.md describes it byte for byte. */
export const RECORD_VERSION = 'tt1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface FleetKey {
  /** 16 hex characters naming the key in every record (never the key itself). */
  readonly id: string;
  readonly bytes: Buffer;
}

/** The key that seals new records, and the previous one, still read (never written) while a fleet rotates. */
export interface FleetKeys {
  readonly current: FleetKey;
  readonly previous: FleetKey | null;
}

/** What a record holds: a token, a credential stop or a cool-down. The kind is bound into the seal. */
export type RecordKind = 'token' | 'stop' | 'cool';

/** A sealed record's clear header, which Redis's write-if-later compare reads. */
export interface RecordHeader {
  kind: RecordKind;
  keyId: string;
  /** Epoch ms: when the token expires (token) or the record stops holding (stop, cool). */
  until: number;
}

export function fleetKeyId(bytes: Buffer): string {
  return createHash('sha256').update('tokentray fleet key id\0').update(bytes).digest('hex').slice(0, 16);
}

/** A new fleet key, as `tokentray shared-cache keygen` prints it. */
export function generateFleetKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/**
 * Parses a fleet key: 32 bytes in base64 (or base64url). `source` names where it came from for the
 * message; the value itself is never repeated in an error.
 */
export function parseFleetKey(text: string, source: string): FleetKey {
  const trimmed = text.trim();
  const shape = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed);
  const bytes = shape ? Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : Buffer.alloc(0);
  if (!shape || bytes.length !== KEY_BYTES) {
    throw new TokentrayError(
      'usage',
      `The fleet key in ${source} is not 32 bytes of base64${shape ? ` (it decodes to ${bytes.length} bytes)` : ''}.`,
      { hint: 'Make one with `tokentray shared-cache keygen` and give every machine of the fleet the same value.' },
    );
  }
  return { id: fleetKeyId(bytes), bytes };
}

function aad(cacheKey: string, header: RecordHeader): Buffer {
  return Buffer.from(`tokentray-record\0${RECORD_VERSION}\0${header.kind}\0${cacheKey}\0${header.keyId}\0${header.until}`, 'utf8');
}

/**
 * Seals a JSON-able payload: `tt1.<kind>.<keyId>.<until>.<iv>.<ciphertext+tag>` (base64url parts).
 * The associated data binds the cache key and every header field, so none can be changed unnoticed.
 */
export function sealRecord(key: FleetKey, cacheKey: string, kind: RecordKind, until: number, payload: unknown): string {
  const header: RecordHeader = { kind, keyId: key.id, until: Math.round(until) };
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
  cipher.setAAD(aad(cacheKey, header));
  const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return [RECORD_VERSION, kind, key.id, String(header.until), iv.toString('base64url'), body.toString('base64url')].join('.');
}

export type OpenedRecord = { ok: true; header: RecordHeader; payload: unknown } | { ok: false; reason: 'format' | 'foreign-key' | 'tampered' };

/** The record's clear header, or null when the text is not a record of this format. */
export function readHeader(text: string): RecordHeader | null {
  const parts = text.split('.');
  if (parts.length !== 6 || parts[0] !== RECORD_VERSION) return null;
  const [, kind, keyId, until] = parts as [string, string, string, string, string, string];
  if (kind !== 'token' && kind !== 'stop' && kind !== 'cool') return null;
  if (!/^[0-9a-f]{16}$/.test(keyId) || !/^\d{1,16}$/.test(until)) return null;
  return { kind, keyId, until: Number(until) };
}

/**
 * Opens a record sealed for `cacheKey` and `kind` with the current or the previous key. A record of
 * another fleet key is 'foreign-key'; anything that fails to authenticate is 'tampered'.
 */
export function openRecord(keys: FleetKeys, cacheKey: string, kind: RecordKind, text: string): OpenedRecord {
  const header = readHeader(text);
  if (header === null || header.kind !== kind) return { ok: false, reason: 'format' };
  const key = [keys.current, keys.previous].find((k) => k !== null && k.id === header.keyId);
  if (key === undefined || key === null) return { ok: false, reason: 'foreign-key' };
  const parts = text.split('.');
  const iv = Buffer.from(parts[4] as string, 'base64url');
  const body = Buffer.from(parts[5] as string, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) return { ok: false, reason: 'tampered' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, iv);
    decipher.setAAD(aad(cacheKey, header));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const clear = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    return { ok: true, header, payload: JSON.parse(clear.toString('utf8')) as unknown };
  } catch {
    return { ok: false, reason: 'tampered' };
  }
}
