// The shared cache wrapped around a provider's obtain (SPEC section 8; STYLE: caching is a
// decorator, not part of the provider). The engine's local token comes first and never reaches this
// file; here, when a refresh is due: the fleet's record, then the fleet's stop and cool-down, then the
// lock and one upstream request, then the record for the others. Redis failing at any step means the
// machine works alone, as it would without a shared cache.
import { createHash, randomBytes } from 'node:crypto';
import type { ProfileSecrets } from '../../../common/contract.js';
import { isErrorKind } from '../../../common/errors.js';
import type { Clock } from '../clock.js';
import { TokentrayError, toTokentrayError } from '../errors.js';
import { isValid, validUntil } from '../engine/lifetime.js';
import type { Logger, ResolvedProfile, Token } from '../types.js';
import { cacheKeyOf } from './cache-key.js';
import { openRecord, sealRecord, type RecordKind } from './record-crypto.js';
import { SharedCacheCallFailed, type FleetCounts, type SharedCache } from './shared-cache.js';

/** A credential stop is kept this long at most; a changed secret or a person's refresh lifts it sooner. */
const STOP_TTL_MS = 24 * 3_600_000;
/** Fleet counts shown in statuses are read again at most this often. */
const COUNTS_EVERY_MS = 5_000;
/** A failed Redis call is tried again after this pause while this machine's token stays valid. */
const RETRY_PAUSE_MS = 100;
/**
 * A machine whose own token is still valid goes upstream alone only this close to that token's
 * validUntil (at most 1 s, or 5% of a short lifetime): room for its one request to come back before
 * demands would have to wait. Until then the fleet's holder has every chance to share its token.
 */
const ALONE_BEFORE_MAX_MS = 1_000;
const ALONE_BEFORE_FRACTION = 0.05;

/** One refresh as the engine asks for it. */
export interface FleetRequest {
  profile: ResolvedProfile;
  /** The token this machine holds now (valid or not), so an older record is never adopted. */
  current: Token | null;
  /** A person asked: the fleet's stop and cool-down do not hold them back, and the record is not reused. */
  forced: boolean;
  /** A profile with no secret here: it reads the fleet's token and never asks the provider. */
  sharedOnly: boolean;
  signal: AbortSignal;
  /** This machine's secrets (read from the vault only when a request may go upstream). */
  secrets(): Promise<ProfileSecrets>;
  /** One request to the provider; the engine counts it as this machine's. */
  upstream(secrets: ProfileSecrets): Promise<Token>;
}

/** What the fleet holds for one credential, for `shared-cache status` and the dashboard's panel. */
export interface FleetView {
  cacheKey: string | null;
  token: { expiresAt: number | null; obtainedAt: number } | null;
  /** Why the record there could not be used: sealed with another fleet key, or altered. */
  unreadable: 'foreign-key' | 'tampered' | 'format' | null;
  lockMs: number | null;
  stop: { kind: string; message: string } | null;
  coolUntil: number | null;
  counts: FleetCounts | null;
}

/**
 * How each refresh through the fleet ended, counted for the fleet benchmark and status: why a machine
 * asked the provider itself (alone because Redis was unavailable or a call failed, or holding the lock)
 * and how it found the fleet's token instead (on the first read, after the lock, after waiting).
 */
export interface FleetTally {
  adoptedOnRead: number;
  adoptedUnderLock: number;
  adoptedAfterWait: number;
  /** Every request made holding the lock; the four below say what the record under the lock was. */
  upstreamWithLock: number;
  upstreamNoRecord: number;
  upstreamRecordNotNewer: number;
  upstreamRecordExpired: number;
  upstreamRecordUnreadable: number;
  /** A person's refresh: the record is not reused. */
  upstreamForced: number;
  /** Requests (with the lock or alone) that failed: a timeout, a refusal, a network error. */
  upstreamFailed: number;
  aloneUnavailable: number;
  /** A Redis call failed (split below: its deadline missed, or it failed outright). */
  aloneCallFailed: number;
  aloneDeadlineMissed: number;
  aloneOtherFailure: number;
  /** A wait for the holder ended without a record (split below). */
  aloneLockOutlived: number;
  /** This machine's own token was about to stop being valid. */
  aloneAboutToExpire: number;
  /** No valid token here, and the holder's lock plus its grace ran out. */
  aloneWaitedOut: number;
  /** A Redis call failed while connected and the fleet was asked once more. */
  retriedAfterMiss: number;
  lockBusy: number;
  /** A wait ran out while this machine's own token stayed valid: it looked again instead of going alone. */
  waitedAgain: number;
  /** A valid record was there but not newer than this machine's own token. */
  recordNotNewer: number;
}

/** What a look at the fleet's token record found, and the token when it may be adopted. */
interface Adoptable {
  token: Token | null;
  /** A record that did not open, which the next write may replace. */
  replaceable: string | null;
  found: 'none' | 'unreadable' | 'expired' | 'not-newer' | 'newer' | 'forced';
}

/** Thrown inside this file when Redis failed; never leaves it. */
class SharedCacheFailed extends Error {
  constructor(
    readonly reason: string,
    /** The call missed its deadline (rather than failing outright). */
    readonly deadline: boolean,
  ) {
    super(reason);
  }
}

export interface FleetTokensDeps {
  cache: SharedCache;
  clock: Clock;
  logger: Logger;
}

export class FleetTokens {
  private readonly cache: SharedCache;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly counts = new Map<string, FleetCounts>();
  private countsReadAt = Number.NEGATIVE_INFINITY;
  private countsReading = false;
  /** Records that did not open, by reason; shown in status so a wrong key or tampering is seen. */
  readonly unreadable = { 'foreign-key': 0, tampered: 0, format: 0 };
  private readonly reported = new Set<string>();
  readonly tally: FleetTally = {
    adoptedOnRead: 0,
    adoptedUnderLock: 0,
    adoptedAfterWait: 0,
    upstreamWithLock: 0,
    upstreamNoRecord: 0,
    upstreamRecordNotNewer: 0,
    upstreamRecordExpired: 0,
    upstreamRecordUnreadable: 0,
    upstreamForced: 0,
    upstreamFailed: 0,
    aloneUnavailable: 0,
    aloneCallFailed: 0,
    aloneDeadlineMissed: 0,
    aloneOtherFailure: 0,
    aloneLockOutlived: 0,
    aloneAboutToExpire: 0,
    aloneWaitedOut: 0,
    retriedAfterMiss: 0,
    lockBusy: 0,
    waitedAgain: 0,
    recordNotNewer: 0,
  };

  constructor(deps: FleetTokensDeps) {
    this.cache = deps.cache;
    this.clock = deps.clock;
    this.logger = deps.logger;
  }

  get sharedCache(): SharedCache {
    return this.cache;
  }

  async obtain(request: FleetRequest): Promise<Token> {
    const key = cacheKeyOf(request.profile);
    if (key === null) {
      if (request.sharedOnly) throw nothingShared(request.profile.id, 'its provider shares nothing (Basic credentials need no token request)');
      return request.upstream(await request.secrets());
    }
    const health = this.cache.health();
    if (health.state !== 'connected') {
      this.tally.aloneUnavailable += 1;
      return this.alone(request, health.reason ?? 'it does not answer');
    }
    for (;;) {
      try {
        return await this.together(request, key);
      } catch (error) {
        if (!(error instanceof SharedCacheFailed)) throw error;
        // A late answer while Redis is still counted as connected: a machine whose own token stays
        // valid a while yet asks the fleet again instead of going upstream on its own. A hung Redis
        // is soon marked unavailable (one ping decides), which ends this at once.
        if (this.cache.health().state === 'connected' && this.clock.now() + RETRY_PAUSE_MS < this.aloneAt(request.current)) {
          this.tally.retriedAfterMiss += 1;
          await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
          continue;
        }
        this.tally.aloneCallFailed += 1;
        if (error.deadline) this.tally.aloneDeadlineMissed += 1;
        else this.tally.aloneOtherFailure += 1;
        return this.alone(request, error.reason, key);
      }
    }
  }

  /**
   * When a machine holding `token` stops waiting for the fleet and asks upstream alone: shortly
   * before its token stops being valid; at once (-Infinity) when it holds no valid token.
   */
  private aloneAt(token: Token | null): number {
    if (token === null || !isValid(token, this.clock.now())) return Number.NEGATIVE_INFINITY;
    const until = validUntil(token);
    if (!Number.isFinite(until)) return until;
    return until - Math.min(ALONE_BEFORE_MAX_MS, (until - token.obtainedAt) * ALONE_BEFORE_FRACTION);
  }

  /** The fleet's counts for a profile as last read (read again in the background, at most every 5 s). */
  countsFor(profile: ResolvedProfile): FleetCounts | undefined {
    const key = cacheKeyOf(profile);
    return key === null ? undefined : this.counts.get(key);
  }

  /** Reads the fleet's counts of these profiles in the background, unless that was done moments ago. */
  refreshCounts(profiles: readonly ResolvedProfile[]): void {
    const now = this.clock.now();
    if (this.countsReading || now - this.countsReadAt < COUNTS_EVERY_MS || this.cache.health().state !== 'connected') return;
    const keys = [...new Set(profiles.map(cacheKeyOf).filter((k): k is string => k !== null))];
    if (keys.length === 0) return;
    this.countsReading = true;
    this.countsReadAt = now;
    this.cache.counts(keys, now).then(
      (found) => {
        for (const [key, value] of found) this.counts.set(key, value);
      },
      () => {},
    ).finally(() => {
      this.countsReading = false;
    });
  }

  /** What the fleet holds for a profile right now (reads Redis; for status, never for a demand). */
  async view(profile: ResolvedProfile): Promise<FleetView> {
    const key = cacheKeyOf(profile);
    const empty: FleetView = { cacheKey: key, token: null, unreadable: null, lockMs: null, stop: null, coolUntil: null, counts: null };
    if (key === null) return empty;
    const now = this.clock.now();
    const [records, lockMs, counts] = await Promise.all([this.cache.read(key), this.cache.lockTtl(key), this.cache.counts([key], now)]);
    const view: FleetView = { ...empty, lockMs, counts: counts.get(key) ?? null };
    if (records.token !== null) {
      const opened = this.open(key, 'token', records.token, false);
      if (opened.ok) {
        const token = toToken(opened.payload);
        view.token = token === null ? null : { expiresAt: token.expiresAt, obtainedAt: token.obtainedAt };
        if (token === null) view.unreadable = 'format';
      } else view.unreadable = opened.reason;
    }
    const stop = records.stop === null ? null : this.open(key, 'stop', records.stop, false);
    if (stop?.ok === true) {
      const error = stopError(stop.payload);
      if (error !== null) view.stop = { kind: error.kind, message: error.message };
    }
    const cool = records.cool === null ? null : this.open(key, 'cool', records.cool, false);
    if (cool?.ok === true && cool.header.until > now) view.coolUntil = cool.header.until;
    return view;
  }

  // ---------------------------------------------------------------- the fleet's way

  private async together(request: FleetRequest, key: string): Promise<Token> {
    const { profile } = request;
    // A shared-only profile cannot ask the provider, so a person's refresh only reads the fleet again.
    const forced = request.forced && !request.sharedOnly;
    const startedAt = this.clock.now();
    const timeoutMs = profile.timeoutMs ?? 10_000;
    // The lock outlives the provider's own timeout (25 s for Acquia, seed 002), so a holder that is
    // still waiting for its answer is never overtaken.
    const lockTtlMs = timeoutMs + Math.max(2_000, timeoutMs / 2);
    const giveUpAt = startedAt + lockTtlMs + 5_000;
    let secrets: ProfileSecrets | null = null;
    const mySecrets = async (): Promise<ProfileSecrets> => (secrets ??= await request.secrets());

    let waited = false;
    let waitedPast = false;
    for (;;) {
      if (request.signal.aborted) throw cancelled();
      const records = await this.call(this.cache.read(key));
      const found = this.adoptable(key, records.token, request, startedAt);
      if (found.token !== null) {
        if (waited) this.tally.adoptedAfterWait += 1;
        else this.tally.adoptedOnRead += 1;
        return found.token;
      }
      if (!forced) {
        const stopped = await this.stopFor(key, records.stop, request, mySecrets);
        if (stopped !== null) throw stopped;
        const cooling = this.coolFor(key, records.cool);
        if (cooling !== null) throw cooling;
      }
      if (request.sharedOnly) throw nothingShared(profile.id, 'the fleet holds no valid token for it now');

      const owner = randomBytes(16).toString('hex');
      const held = await this.call(this.cache.acquireLock(key, owner, lockTtlMs));
      if (held) return this.refreshHolding(request, forced, key, owner, await mySecrets(), found.replaceable);

      // Another machine is refreshing: its record tells us (or its lock runs out and we look again).
      this.tally.lockBusy += 1;
      const ttl = (await this.call(this.cache.lockTtl(key))) ?? 0;
      // A machine whose own token is still valid keeps serving it and looks again rather than go
      // upstream beside a holder that is merely slow (a loaded machine): it goes alone only when its
      // token is about to stop being valid. One without a valid token, or a person who asked for a
      // new one, waits out the holder's lock as before.
      const aloneAt = forced ? Number.NEGATIVE_INFINITY : this.aloneAt(request.current);
      const deadline = aloneAt === Number.NEGATIVE_INFINITY ? giveUpAt : aloneAt;
      const waitMs = Math.min(ttl + 100, deadline - this.clock.now());
      if (!waitedPast && this.clock.now() + waitMs > giveUpAt && deadline > giveUpAt) {
        waitedPast = true;
        this.tally.waitedAgain += 1;
      }
      if (waitMs <= 0) {
        this.tally.aloneLockOutlived += 1;
        if (deadline === aloneAt) this.tally.aloneAboutToExpire += 1;
        else this.tally.aloneWaitedOut += 1;
        return this.alone(request, 'the machine holding the lock did not finish in time', key);
      }
      const written = await this.call(this.cache.waitForToken(key, request.current?.expiresAt ?? 0, waitMs));
      waited = true;
      // The record the wait ended on is adopted as it is: reading it again costs a round trip, which
      // on a loaded machine can outlast the little time a short-lived token leaves.
      const after = written === null ? null : this.adoptable(key, written, request, startedAt).token;
      if (after !== null) {
        this.tally.adoptedAfterWait += 1;
        return after;
      }
    }
  }

  private async refreshHolding(request: FleetRequest, forced: boolean, key: string, owner: string, secrets: ProfileSecrets, replaceable: string | null): Promise<Token> {
    const now = (): number => this.clock.now();
    try {
      // Someone may have written between our read and our lock: look once more before asking.
      let found: Adoptable['found'] = 'forced';
      if (!forced) {
        const again = this.adoptable(key, (await this.call(this.cache.read(key))).token, request, now());
        if (again.token !== null) {
          this.tally.adoptedUnderLock += 1;
          return again.token;
        }
        replaceable = again.replaceable;
        found = again.found;
      }
      this.tally.upstreamWithLock += 1;
      this.countUpstream(found);
      this.cache.countRequest(key, now()).catch(() => {});
      let token: Token;
      try {
        token = await request.upstream(secrets);
      } catch (error) {
        this.tally.upstreamFailed += 1;
        await this.shareFailure(key, toTokentrayError(error), secrets);
        throw error;
      }
      const until = token.expiresAt ?? Number.MAX_SAFE_INTEGER;
      const sealed = sealRecord(this.cache.keys.current, key, 'token', until, fromToken(token));
      await this.cache.putToken(key, sealed, until, replaceable).catch(() => false);
      // The credential works (here): a stop recorded by a machine with an older secret no longer holds.
      await this.cache.clearStop(key).catch(() => {});
      return token;
    } finally {
      this.cache.releaseLock(key, owner).catch(() => false);
    }
  }

  private countUpstream(found: Adoptable['found']): void {
    if (found === 'forced') this.tally.upstreamForced += 1;
    else if (found === 'none') this.tally.upstreamNoRecord += 1;
    else if (found === 'expired') this.tally.upstreamRecordExpired += 1;
    else if (found === 'unreadable') this.tally.upstreamRecordUnreadable += 1;
    else this.tally.upstreamRecordNotNewer += 1;
  }

  /** A credential stop and a Retry-After cool-down hold for the whole fleet (SPEC section 8). */
  private async shareFailure(key: string, error: TokentrayError, secrets: ProfileSecrets): Promise<void> {
    const now = this.clock.now();
    try {
      if (error.isCredentialError) {
        const payload = { error: { kind: error.kind, message: error.message, hint: error.hint ?? null, status: error.status ?? null }, fingerprint: fingerprint(key, secrets), at: now };
        await this.cache.putStop(key, sealRecord(this.cache.keys.current, key, 'stop', now + STOP_TTL_MS, payload), STOP_TTL_MS);
      } else if (error.retryAfterMs !== undefined && error.retryAfterMs > 0) {
        const until = now + error.retryAfterMs;
        const payload = { error: { kind: error.kind, message: error.message, hint: error.hint ?? null, status: error.status ?? null }, at: now };
        await this.cache.putCool(key, sealRecord(this.cache.keys.current, key, 'cool', until, payload), error.retryAfterMs);
      }
    } catch {
      // Not shared this time: the others find out for themselves, as they would alone.
    }
  }

  /**
   * A record's token when it may be used: valid, and newer than ours (else we are the one due to
   * refresh and adopting our own token again would loop), or made after a person asked.
   */
  private adoptable(key: string, text: string | null, request: FleetRequest, startedAt: number): Adoptable {
    if (text === null) return { token: null, replaceable: null, found: 'none' };
    const opened = this.open(key, 'token', text, true);
    if (!opened.ok) return { token: null, replaceable: text, found: 'unreadable' };
    const token = toToken(opened.payload);
    if (token === null) return { token: null, replaceable: text, found: 'unreadable' };
    const now = this.clock.now();
    if (!isValid(token, now)) return { token: null, replaceable: null, found: 'expired' };
    const current = request.current;
    const newer = request.forced && !request.sharedOnly
      ? token.obtainedAt >= startedAt
      : current === null || !isValid(current, now) || (token.expiresAt ?? Number.POSITIVE_INFINITY) > (current.expiresAt ?? Number.POSITIVE_INFINITY);
    if (!newer) this.tally.recordNotNewer += 1;
    return { token: newer ? token : null, replaceable: null, found: newer ? 'newer' : 'not-newer' };
  }

  private async stopFor(key: string, text: string | null, request: FleetRequest, secrets: () => Promise<ProfileSecrets>): Promise<TokentrayError | null> {
    if (text === null) return null;
    const opened = this.open(key, 'stop', text, true);
    if (!opened.ok) return null;
    const error = stopError(opened.payload);
    if (error === null) return null;
    // A machine holding another secret (a rotation under way) may still try; one with none may not.
    if (!request.sharedOnly) {
      const stored = (opened.payload as { fingerprint?: unknown }).fingerprint;
      if (typeof stored === 'string' && stored !== fingerprint(key, await secrets())) return null;
    }
    return error;
  }

  private coolFor(key: string, text: string | null): TokentrayError | null {
    if (text === null) return null;
    const opened = this.open(key, 'cool', text, true);
    const now = this.clock.now();
    if (!opened.ok || opened.header.until <= now) return null;
    return new TokentrayError('rate_limited', `The token endpoint asked the fleet to wait until ${new Date(opened.header.until).toISOString()}.`, {
      hint: 'Another machine sharing this credential was told to slow down (429 or Retry-After); every machine waits, then one asks again.',
      retryAfterMs: opened.header.until - now,
    });
  }

  private open(key: string, kind: RecordKind, text: string, report: boolean): ReturnType<typeof openRecord> {
    const opened = openRecord(this.cache.keys, key, kind, text);
    if (!opened.ok && report) {
      this.unreadable[opened.reason] += 1;
      // One line per credential and reason, not one per look.
      const once = `${key}:${opened.reason}`;
      if (!this.reported.has(once)) {
        this.reported.add(once);
        this.logger.warn(
          opened.reason === 'foreign-key'
            ? 'a shared record is sealed with another fleet key; it is ignored and will be replaced'
            : 'a shared record did not authenticate; it is ignored and will be replaced',
          { cacheKey: key.slice(0, 12), kind, reason: opened.reason, keyId: this.cache.keys.current.id },
        );
      }
    }
    return opened;
  }

  /**
   * Alone: exactly what the engine does without a shared cache, except a shared-only profile, which
   * cannot. Given the cache key (Redis still answers, but a wait or a call ran out), the request is
   * counted for the fleet and its token offered as the record (if it expires later), so the other
   * machines waiting on the same slow holder adopt it instead of each asking alone too.
   */
  private async alone(request: FleetRequest, reason: string, key?: string): Promise<Token> {
    if (request.sharedOnly) throw nothingShared(request.profile.id, `the shared cache is unavailable (${reason})`);
    const secrets = await request.secrets();
    if (key !== undefined) this.cache.countRequest(key, this.clock.now()).catch(() => {});
    let token: Token;
    try {
      token = await request.upstream(secrets);
    } catch (error) {
      this.tally.upstreamFailed += 1;
      throw error;
    }
    if (key !== undefined && this.cache.health().state === 'connected') {
      const until = token.expiresAt ?? Number.MAX_SAFE_INTEGER;
      // Not awaited: the token is this machine's either way, and its demands should not wait on Redis.
      this.cache.putToken(key, sealRecord(this.cache.keys.current, key, 'token', until, fromToken(token)), until, null).catch(() => false);
    }
    return token;
  }

  private async call<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      const reason = error instanceof Error && error.message !== '' ? error.message : 'the shared cache failed';
      throw new SharedCacheFailed(reason, error instanceof SharedCacheCallFailed && error.deadlineMissed);
    }
  }
}

function fromToken(token: Token): Record<string, unknown> {
  return {
    accessToken: token.accessToken,
    tokenType: token.tokenType,
    headers: token.headers,
    obtainedAt: token.obtainedAt,
    expiresAt: token.expiresAt,
    ...(token.scope === undefined ? {} : { scope: token.scope }),
  };
}

/** A token from an opened record, or null when its shape is not one (never trusted blindly). */
function toToken(payload: unknown): Token | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const p = payload as Record<string, unknown>;
  const headers = p.headers;
  if (typeof p.accessToken !== 'string' || p.accessToken === '' || typeof p.tokenType !== 'string') return null;
  if (typeof p.obtainedAt !== 'number' || !(typeof p.expiresAt === 'number' || p.expiresAt === null)) return null;
  if (typeof headers !== 'object' || headers === null || Object.values(headers).some((v) => typeof v !== 'string')) return null;
  const token: Token = { accessToken: p.accessToken, tokenType: p.tokenType, headers: { ...(headers as Record<string, string>) }, obtainedAt: p.obtainedAt, expiresAt: p.expiresAt };
  if (typeof p.scope === 'string') token.scope = p.scope;
  return token;
}

function stopError(payload: unknown): TokentrayError | null {
  const error = (payload as { error?: { kind?: unknown; message?: unknown; hint?: unknown; status?: unknown } } | null)?.error;
  if (error === undefined || !isErrorKind(error.kind) || typeof error.message !== 'string') return null;
  return new TokentrayError(error.kind, `The fleet's last token request was refused: ${error.message}`, {
    hint: `${typeof error.hint === 'string' ? `${error.hint} ` : ''}Every machine sharing this credential waits until its secret changes or a person refreshes it.`,
    ...(typeof error.status === 'number' ? { status: error.status } : {}),
  });
}

/** Which secret a stop was earned with, so a machine holding another one may still try. */
function fingerprint(key: string, secrets: ProfileSecrets): string {
  const fields = Object.entries(secrets).sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(`tokentray-secret-fingerprint\0${key}\0${JSON.stringify(fields)}`).digest('hex').slice(0, 32);
}

function cancelled(): TokentrayError {
  return new TokentrayError('cancelled', 'The refresh was cancelled.');
}

function nothingShared(id: string, why: string): TokentrayError {
  return new TokentrayError('shared_unavailable', `Profile "${id}" is shared-only and ${why}.`, {
    hint: 'A shared-only profile only reads the fleet\'s token: start a machine that holds the secret (`tokentray serve --shared-cache URL`), or check the Redis URL and fleet key here.',
  });
}
