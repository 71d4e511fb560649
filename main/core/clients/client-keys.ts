// Loopback client keys (docs/http-api.md): created by a person, shown once, stored only as a hash, and
// compared in constant time. Keys carry 256 random bits, so an unsalted SHA-256 is enough: there is
// nothing to brute-force that a salt would slow down.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientKeyRecord } from '../types.js';

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
  // (Hex then decoded: node's one-shot hash is slower when asked for a Buffer directly.)
  const digest = Buffer.from(hashClientKey(presented), 'hex');
  let found: ClientKeyRecord | undefined;
  for (const record of records) {
    const stored = Buffer.from(record.hash, 'hex');
    if (stored.length === digest.length && timingSafeEqual(stored, digest) && found === undefined) found = record;
  }
  return found;
}

/**
 * The key check for one snapshot of the client records (the loopback API makes a new one whenever the
 * records change, and at least every second). A key is hashed and found as findClientByKey does the
 * first time it is presented; after that it is recognised by comparing it, in constant time, with the
 * keys this snapshot has already accepted. Under load, hashing (and even a Buffer for timingSafeEqual)
 * costs microseconds per request, a large part of answering a cached token (`npm run bench -- api`).
 *
 * What is kept: a key that was just presented and accepted, in this process's memory, for as long as
 * the snapshot lives. Nothing more is stored anywhere, and a revoked key stops matching with the next
 * snapshot. A wrong key is never kept: it is hashed every time.
 */
export class ClientKeyIndex {
  private readonly accepted: { key: string; record: ClientKeyRecord }[] = [];

  constructor(private readonly records: readonly ClientKeyRecord[]) {}

  find(presented: string): ClientKeyRecord | undefined {
    let found: ClientKeyRecord | undefined;
    // Every accepted key is compared, like every record in findClientByKey.
    for (const entry of this.accepted) {
      if (sameInConstantTime(entry.key, presented) && found === undefined) found = entry.record;
    }
    if (found !== undefined) return found;
    found = findClientByKey(this.records, presented);
    // At most one entry per record: a key that matched a record is found above from then on.
    if (found !== undefined) this.accepted.push({ key: presented, record: found });
    return found;
  }
}

/**
 * Whether two strings are equal, looking at every character of the shorter whatever the differences:
 * no early exit, so the time taken depends on the lengths only (as with timingSafeEqual, which needs
 * Buffers, and making them is most of the cost here).
 */
export function sameInConstantTime(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** Whether a client may see a profile: null means every profile. */
export function clientMayAccess(record: ClientKeyRecord, profileId: string): boolean {
  return record.profiles === null || record.profiles.includes(profileId);
}
