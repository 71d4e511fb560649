// The shared cache as the engine sees it (SPEC section 8): a store of sealed records per cache key,
// a lock per key, and the fleet's request counts. main/node/shared-cache/ implements it over Redis;
// the core only seals, opens and decides (fleet-tokens.ts), so it never depends on a client library.
import type { FleetKeys } from './record-crypto.js';

export type SharedCacheState = 'connected' | 'unavailable';

export interface SharedCacheHealth {
  state: SharedCacheState;
  /** Why it is unavailable, in plain words without the password; null while connected. */
  reason: string | null;
  /** Epoch ms of the last change of state. */
  since: number;
}

/** How a shared cache's call fails: in plain words, and whether it was only late (its deadline missed). */
export class SharedCacheCallFailed extends Error {
  constructor(
    message: string,
    readonly deadlineMissed: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The sealed records one read returns for a cache key (absent: null). */
export interface SharedRecords {
  token: string | null;
  stop: string | null;
  cool: string | null;
}

export interface FleetCounts {
  requestsLastHour: number;
  requestsLastDay: number;
}

/**
 * Every call has a deadline (a read 250 ms) and rejects when Redis does not answer in time, is
 * unreachable or refuses; the caller then works alone. None ever waits for a connection.
 */
export interface SharedCache {
  /** The URL without its password, for status output and messages. */
  readonly location: string;
  /** The fleet key records are sealed with (and the previous one, read during a rotation). */
  readonly keys: FleetKeys;
  health(): SharedCacheHealth;
  /** Fires on every change between connected and unavailable. Returns unsubscribe. */
  onDidChangeHealth(listener: (health: SharedCacheHealth) => void): () => void;

  read(cacheKey: string): Promise<SharedRecords>;
  /**
   * Writes a token record only if it expires later than the one there (compared in Redis, in one
   * step), or when the record there is exactly `replaceable` (one that did not open). True if written.
   */
  putToken(cacheKey: string, sealed: string, expiresAt: number, replaceable: string | null): Promise<boolean>;
  /** SET NX PX: true when this owner now holds the lock. */
  acquireLock(cacheKey: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Deletes the lock only if `owner` still holds it. */
  releaseLock(cacheKey: string, owner: string): Promise<boolean>;
  /** Milliseconds the lock still lives, or null when nobody holds it. */
  lockTtl(cacheKey: string): Promise<number | null>;
  /**
   * Resolves with a token record that expires after `newerThan` once one is there, or null when
   * `timeoutMs` passed or the lock was released without one (the waiter then looks again itself).
   */
  waitForToken(cacheKey: string, newerThan: number, timeoutMs: number): Promise<string | null>;
  putStop(cacheKey: string, sealed: string, ttlMs: number): Promise<void>;
  clearStop(cacheKey: string): Promise<void>;
  putCool(cacheKey: string, sealed: string, ttlMs: number): Promise<void>;
  /** Records one upstream token request for the fleet's counts. */
  countRequest(cacheKey: string, at: number): Promise<void>;
  counts(cacheKeys: readonly string[], now: number): Promise<Map<string, FleetCounts>>;
  close(): Promise<void>;
}
