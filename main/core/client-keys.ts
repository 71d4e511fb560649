// Loopback client keys (SPEC section 4): created by a person, shown once, stored only as a hash, and
// compared in constant time. Keys carry 256 random bits, so an unsalted SHA-256 is enough: there is
// nothing to brute-force that a salt would slow down.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientKeyRecord } from './types.js';

const KEY_PREFIX = 'ttk_';

export function hashClientKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** A new key (returned once, never stored) and the record to store. */
export function createClientKey(
  name: string,
  profiles: string[] | null,
  now: Date,
): { key: string; record: ClientKeyRecord } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return {
    key,
    record: { name, profiles, createdAt: now.toISOString(), lastUsedAt: null, hash: hashClientKey(key) },
  };
}

/**
 * The record whose hash matches the presented key, or undefined. Every record is compared, and each
 * comparison is constant-time over equal-length digests, so timing reveals neither which record
 * matched nor how much of a hash did.
 */
export function findClientByKey(records: readonly ClientKeyRecord[], presented: string): ClientKeyRecord | undefined {
  // The presented key is hashed on every call; only the stored side's decoding is cached.
  // (Hex then decoded: node's one-shot hash is slower when asked for a Buffer directly.)
  const digest = Buffer.from(hashClientKey(presented), 'hex');
  let found: ClientKeyRecord | undefined;
  for (const record of records) {
    const stored = storedDigest(record);
    if (stored.length === digest.length && timingSafeEqual(stored, digest) && found === undefined) found = record;
  }
  return found;
}

/**
 * The stored hash as bytes, decoded once per record object: the loopback API checks a key on every
 * request against the same records (a snapshot), and decoding hex is a large part of that check.
 * Keyed weakly by the record and checked against its hash, so a dropped or changed record is never served stale.
 */
const decodedHashes = new WeakMap<ClientKeyRecord, { hex: string; bytes: Buffer }>();

function storedDigest(record: ClientKeyRecord): Buffer {
  const cached = decodedHashes.get(record);
  if (cached !== undefined && cached.hex === record.hash) return cached.bytes;
  const bytes = Buffer.from(record.hash, 'hex');
  decodedHashes.set(record, { hex: record.hash, bytes });
  return bytes;
}

/** Whether a client may see a profile: null means every profile. */
export function clientMayAccess(record: ClientKeyRecord, profileId: string): boolean {
  return record.profiles === null || record.profiles.includes(profileId);
}
