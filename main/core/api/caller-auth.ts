// Who is asking the loopback API (docs/http-api.md): a client key, sent as `Authorization: Bearer
// <key>`, checked against a snapshot of the stored key hashes; the key's last use written back at
// most every few minutes. Also the one "may this caller use this profile" rule (403 before 404).
import { PROFILE_ID_PATTERN, type ProfileConfig } from '../../../common/contract.js';
import { ClientKeyIndex, clientMayAccess } from '../clients/client-keys.js';
import type { ClientKeyRecord, ConfigStore, Logger } from '../types.js';
import { noSuchProfile } from '../errors.js';
import { HttpProblem, problemFromError } from './problem.js';
import type { SessionScope } from './sessions.js';

/**
 * Who is asking: a client key (with its record, whose profile limits apply), the headless
 * dashboard's session or a local socket's user (no record: every profile).
 */
export interface Caller {
  name: string;
  /** Null means every profile. */
  profiles: readonly string[] | null;
  record?: ClientKeyRecord;
  /** The dashboard session's key (revocation ends what it holds open on logout or Lock). */
  sessionKey?: string;
  /** The dashboard session's scope: a `lock-screen` session may only unlock (sessions.ts). */
  sessionScope?: SessionScope;
}

export const KEY_HINT = 'Create a key with `tokentray clients add NAME` and send it as `Authorization: Bearer <key>`.';
const SNAPSHOT_TTL_MS = 1000;

/**
 * The key in `Authorization: Bearer <key>` (the scheme is case-insensitive, RFC 7235), or undefined.
 * Anything else after the scheme is passed on as the key and fails the hash comparison like any wrong key.
 */
export function bearerCredential(header: string): string | undefined {
  const separator = header.charCodeAt(6);
  if ((separator !== 0x20 && separator !== 0x09) || header.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  const key = header.slice(7).trim();
  return key === '' ? undefined : key;
}

export interface CallerAuthOptions {
  store: ConfigStore;
  logger?: Logger;
  /** How often a client key's lastUsedAt may be written (it is a file write). */
  lastUsedWriteMs: number;
}

interface Snapshot {
  keys: ClientKeyIndex;
  profiles: Map<string, ProfileConfig>;
  at: number;
}

export class CallerAuth {
  private readonly lastUsedWritten = new Map<string, number>();
  // The file store parses config.json on every read; the hot path (every /token call) reads a
  // snapshot instead, dropped on every store change and after SNAPSHOT_TTL_MS at the latest, so a key
  // revoked by another process (whose change conf may only notice seconds later) stops working soon.
  private snapshot: Snapshot | null = null;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: CallerAuthOptions) {
    this.unsubscribe = options.store.onDidChange(() => {
      this.snapshot = null;
    });
  }

  /** Drops the snapshot of keys and profiles: the next request reads the store again. */
  forget(): void {
    this.snapshot = null;
  }

  /** Stops following the store (server shutdown). */
  dispose(): void {
    this.unsubscribe();
  }

  /**
   * The caller behind an Authorization header, or a 401. Accepted keys are marked as used.
   * The relay (client key as an OAuth client secret) uses findClient directly.
   */
  authenticate(header: string | undefined, now: number): Caller {
    if (header === undefined) {
      throw new HttpProblem(401, 'unauthorized', 'This request needs a client key.', KEY_HINT, {
        'WWW-Authenticate': 'Bearer realm="tokentray"',
      });
    }
    const key = bearerCredential(header);
    const record = key === undefined ? undefined : this.findClient(key, now);
    if (record === undefined) {
      // The same words for a wrong, malformed or revoked key: nothing to learn from the difference.
      throw new HttpProblem(401, 'unauthorized', 'The client key was not accepted.', KEY_HINT, {
        'WWW-Authenticate': 'Bearer realm="tokentray", error="invalid_token"',
      });
    }
    this.touch(record, now);
    return { name: record.name, profiles: record.profiles, record };
  }

  /** The record of a presented key, or undefined (a caller that accepts it then calls touch). */
  findClient(key: string, now: number): ClientKeyRecord | undefined {
    // A key revoked by a writer that bypassed this app (an edit by hand, a CLI that could not reach
    // it) is refused from the first request after the write: a stat, and a re-read only on change.
    this.options.store.checkDisk?.();
    // A miss re-reads the store: a key created a moment ago by the CLI must work at once.
    return this.read(now).keys.find(key) ?? this.read(now, true).keys.find(key);
  }

  /** 403 before 404, so a limited key cannot probe which other profiles exist. */
  requireProfile(caller: Caller, id: string, now: number): void {
    if (caller.record !== undefined && !clientMayAccess(caller.record, id)) {
      throw new HttpProblem(403, 'forbidden', `This client key may not use profile "${id}".`, 'Ask for a key that includes this profile.');
    }
    if (!this.profileExists(id, now)) {
      throw problemFromError(noSuchProfile(id));
    }
  }

  /** Marks a key as used, at most once per lastUsedWriteMs: each write rewrites the store file. */
  touch(record: ClientKeyRecord, now: number): void {
    const last = this.lastUsedWritten.get(record.name) ?? (record.lastUsedAt === null ? 0 : Date.parse(record.lastUsedAt));
    if (now - last < this.options.lastUsedWriteMs) return;
    this.lastUsedWritten.set(record.name, now);
    const { store, logger } = this.options;
    try {
      // Re-read first: writing back a record revoked a moment ago by another process would revive it.
      const current = store.listClients().find((c) => c.name === record.name && c.hash === record.hash);
      if (current === undefined) return;
      store.putClient({ ...current, lastUsedAt: new Date(now).toISOString() });
    } catch {
      logger?.warn('could not record client key use', { client: record.name });
    }
  }

  /** The stored profile, from the same snapshot (the relay needs its provider and audience). */
  findProfile(id: string, now: number): ProfileConfig | undefined {
    return this.read(now).profiles.get(id) ?? (PROFILE_ID_PATTERN.test(id) ? this.read(now, true).profiles.get(id) : undefined);
  }

  private profileExists(id: string, now: number): boolean {
    return this.findProfile(id, now) !== undefined;
  }

  private read(now: number, fresh = false): Snapshot {
    const kept = this.snapshot;
    if (!fresh && kept !== null && now - kept.at <= SNAPSHOT_TTL_MS && now >= kept.at) return kept;
    const { store } = this.options;
    const snapshot = { keys: new ClientKeyIndex(store.listClients()), profiles: new Map(store.listProfiles().map((p) => [p.id, p])), at: now };
    this.snapshot = snapshot;
    return snapshot;
  }
}

/** Whether a caller may see a profile (the profile list, the event stream). */
export function callerMayAccess(caller: Caller, profileId: string): boolean {
  return caller.record === undefined || clientMayAccess(caller.record, profileId);
}
