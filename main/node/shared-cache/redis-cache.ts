// The shared cache over Redis 7 (or Valkey) with ioredis, chosen for what the fleet needs from a
// client: `commandTimeout` puts a deadline on every call (250 ms: a demand never waits on a slow
// Redis), `enableOfflineQueue: false` and `maxRetriesPerRequest` make a call fail at once instead of
// queueing while Redis is away, and `defineCommand` runs the two compares that must happen inside
// Redis in one step (the lock's compare-and-delete, the record's write-if-later) by EVALSHA.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { NOOP_LOGGER } from '../../core/logger.js';
import type { Logger } from '../../core/types.js';
import { redisKeys } from '../../core/fleet/cache-key.js';
import { readHeader, type FleetKeys } from '../../core/fleet/record-crypto.js';
import { SharedCacheCallFailed, type FleetCounts, type SharedCache, type SharedCacheHealth, type SharedRecords } from '../../core/fleet/shared-cache.js';

/** SPEC section 8: "every Redis call has a deadline (250 ms for a read)". */
export const READ_DEADLINE_MS = 250;
/** While unavailable, Redis is asked this often whether it answers again (a hung server never says). */
const PROBE_EVERY_MS = 1_000;
/** A waiter that pub/sub cannot tell (no subscription) looks for the new record this often. */
const POLL_EVERY_MS = 25;
/** A subscribed waiter still looks this often, in case a message was lost. */
const SUBSCRIBED_POLL_MS = 250;
/** A missed deadline is confirmed by one ping given this long before the cache counts as unavailable. */
const CONFIRM_WITHIN_MS = 1_000;
/** ioredis's own timeout, a backstop only: every call's deadline is kept by withDeadline(). */
const BACKSTOP_TIMEOUT_MS = 5_000;
/** One channel for the fleet, the cache key in the message: an ACL needs only `&tokentray:*`. */
export const WRITTEN_CHANNEL = 'tokentray:written';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A token record lives at most this long in Redis, whatever its lifetime. */
const MAX_RECORD_MS = 7 * DAY_MS;

/** Reasons that say only that the connection is gone, not why. */
const GENERIC_REASON = /^(Connection is closed\.|the connection to Redis closed|not connected to Redis|not connected yet)$/;

/** Node's codes for a server certificate that does not verify: a person must name the CA, retrying never helps. */
const UNTRUSTED_CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// Deletes the lock only when it is still ours: a holder whose lock ran out never frees another's.
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// Writes the token record only when it expires later than the one there, or when the one there is
// exactly the record the writer could not open (ARGV[4]); the header's expiry is readable in clear.
const PUT_IF_LATER = `
local old = redis.call('GET', KEYS[1])
if old and old ~= ARGV[4] then
  local until_ms = string.match(old, '^tt1%.token%.[0-9a-f]+%.(%d+)%.')
  if until_ms and tonumber(until_ms) >= tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

interface FleetRedis extends Redis {
  releaseLock(key: string, owner: string): Promise<number>;
  putIfLater(key: string, sealed: string, until: string, ttlMs: string, replaceable: string): Promise<number>;
}

export interface RedisSharedCacheOptions {
  /** The full URL (password included); never logged or shown: `location` is the shown one. */
  url: string;
  location: string;
  keys: FleetKeys;
  /** PEM of a CA to trust for rediss:// (TOKENTRAY_SHARED_CACHE_CA). */
  ca?: Buffer;
  logger?: Logger;
  now?: () => number;
  /** How often a waiter looks when pub/sub cannot tell it (default 25 ms; tests make it long). */
  pollEveryMs?: number;
}

export class RedisSharedCache implements SharedCache {
  readonly location: string;
  readonly keys: FleetKeys;
  private readonly redis: FleetRedis;
  private readonly logger: Logger;
  private readonly now: () => number;
  private state: SharedCacheHealth;
  private readonly listeners = new Set<(health: SharedCacheHealth) => void>();
  private probe: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly secretsInUrl: string[];
  /** Calls that failed, by cause, and how often and how long the cache was unavailable (benchmark, status). */
  readonly stats = { deadlineMissed: 0, otherFailures: 0, becameUnavailable: 0, unavailableMs: 0, wokenByPublish: 0 };
  private readonly subscriber: Redis;
  private subscribed = false;
  private readonly waiters = new Map<string, Set<() => void>>();
  private confirming = false;
  private readonly pollEveryMs: number;

  constructor(options: RedisSharedCacheOptions) {
    this.location = options.location;
    this.keys = options.keys;
    this.logger = options.logger ?? NOOP_LOGGER;
    this.now = options.now ?? Date.now;
    this.state = { state: 'unavailable', reason: 'not connected yet', since: this.now() };
    this.pollEveryMs = options.pollEveryMs ?? POLL_EVERY_MS;
    const parsed = new URL(options.url);
    this.secretsInUrl = [parsed.password, decodeURIComponent(parsed.password)].filter((p) => p !== '');
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: BACKSTOP_TIMEOUT_MS,
      connectTimeout: 1_000,
      // Reconnects forever, backing off to every 2 s: the machine rejoins when Redis answers again.
      retryStrategy: (times) => Math.min(100 * times, 2_000),
      ...(parsed.protocol === 'rediss:' ? { tls: { ...(isIP(parsed.hostname) === 0 ? { servername: parsed.hostname } : {}), ...(options.ca === undefined ? {} : { ca: options.ca }) } } : {}),
    };
    this.redis = new Redis(options.url, redisOptions) as FleetRedis;
    this.redis.defineCommand('releaseLock', { numberOfKeys: 1, lua: RELEASE_LOCK });
    this.redis.defineCommand('putIfLater', { numberOfKeys: 1, lua: PUT_IF_LATER });
    this.redis.on('ready', () => this.mark(null));
    this.redis.on('error', (error: Error) => this.mark(this.words(error)));
    // A close follows every failed connection: the error before it says why, so it keeps its words.
    this.redis.on('close', () => {
      if (this.state.state === 'connected') this.mark('the connection to Redis closed');
    });
    // Waiters are told by pub/sub on a second connection (a subscribed connection can do nothing
    // else); when it is down or the ACL refuses the channel, they poll as before.
    this.subscriber = new Redis(options.url, { ...redisOptions, commandTimeout: BACKSTOP_TIMEOUT_MS });
    this.subscriber.on('error', () => {
      this.subscribed = false;
    });
    this.subscriber.on('close', () => {
      this.subscribed = false;
    });
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(WRITTEN_CHANNEL).then(
        () => {
          this.subscribed = true;
        },
        () => {
          this.subscribed = false;
        },
      );
    });
    this.subscriber.on('message', (_channel: string, cacheKey: string) => {
      for (const wake of this.waiters.get(cacheKey) ?? []) wake();
    });
  }

  /** Whether waiters are told by pub/sub now (else they poll). */
  get toldByPubSub(): boolean {
    return this.subscribed;
  }

  /** Connects, waiting at most `withinMs`; resolves either way (health says how it went). */
  async connect(withinMs = 1_500): Promise<SharedCacheHealth> {
    let timer: NodeJS.Timeout | undefined;
    // The subscriber is not waited for: until it is there, waiters poll.
    this.subscriber.connect().catch(() => {});
    await Promise.race([
      this.redis.connect().then(
        () => this.redis.ping(),
        (error: unknown) => this.mark(this.words(error)),
      ),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, withinMs);
      }),
    ]).catch((error: unknown) => this.mark(this.words(error)));
    clearTimeout(timer);
    if (this.state.state === 'unavailable') this.startProbe();
    return this.health();
  }

  health(): SharedCacheHealth {
    return { ...this.state };
  }

  onDidChangeHealth(listener: (health: SharedCacheHealth) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  read(cacheKey: string): Promise<SharedRecords> {
    const keys = redisKeys(cacheKey);
    return this.call(async () => {
      const [token, stop, cool] = await this.redis.mget(keys.token, keys.stop, keys.cool);
      return { token: token ?? null, stop: stop ?? null, cool: cool ?? null };
    });
  }

  putToken(cacheKey: string, sealed: string, expiresAt: number, replaceable: string | null): Promise<boolean> {
    const ttl = Math.max(1_000, Math.min(MAX_RECORD_MS, Math.round(expiresAt - this.now())));
    return this.call(async () => {
      const written = (await this.redis.putIfLater(redisKeys(cacheKey).token, sealed, String(Math.round(expiresAt)), String(ttl), replaceable ?? '')) === 1;
      if (written) this.publish(cacheKey);
      return written;
    });
  }

  acquireLock(cacheKey: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.call(async () => (await this.redis.set(redisKeys(cacheKey).lock, owner, 'PX', Math.round(ttlMs), 'NX')) === 'OK');
  }

  releaseLock(cacheKey: string, owner: string): Promise<boolean> {
    return this.call(async () => {
      const released = (await this.redis.releaseLock(redisKeys(cacheKey).lock, owner)) === 1;
      // A holder that gave up without a record frees its waiters to look (and take the lock) now.
      if (released) this.publish(cacheKey);
      return released;
    });
  }

  lockTtl(cacheKey: string): Promise<number | null> {
    return this.call(async () => {
      const ttl = await this.redis.pttl(redisKeys(cacheKey).lock);
      return ttl >= 0 ? ttl : null;
    });
  }

  async waitForToken(cacheKey: string, newerThan: number, timeoutMs: number): Promise<string | null> {
    const keys = redisKeys(cacheKey);
    const until = this.now() + timeoutMs;
    let told = false;
    let wake: (() => void) | null = null;
    const listener = (): void => {
      told = true;
      this.stats.wokenByPublish += 1;
      wake?.();
    };
    // Listening before the first look: a publish between the look and the wait is not lost.
    let set = this.waiters.get(cacheKey);
    if (set === undefined) this.waiters.set(cacheKey, (set = new Set()));
    set.add(listener);
    try {
      return await this.lookUntil(keys, newerThan, until, () => {
        if (told) {
          told = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const pause = Math.min(this.subscribed ? SUBSCRIBED_POLL_MS : this.pollEveryMs, Math.max(1, until - this.now()));
          const timer = setTimeout(done, pause);
          function done(): void {
            clearTimeout(timer);
            resolve();
          }
          wake = () => {
            wake = null;
            told = false;
            done();
          };
        });
      });
    } finally {
      set.delete(listener);
      if (set.size === 0) this.waiters.delete(cacheKey);
    }
  }

  private async lookUntil(keys: ReturnType<typeof redisKeys>, newerThan: number, until: number, pause: () => Promise<void>): Promise<string | null> {
    for (;;) {
      const [token, locked] = await this.call(async () => {
        const answers = await this.redis.pipeline().get(keys.token).exists(keys.lock).exec();
        if (answers === null) throw new Error('the pipeline was not run');
        for (const [error] of answers) if (error) throw error;
        return [answers[0]?.[1] as string | null, answers[1]?.[1] as number];
      });
      const header = token === null ? null : readHeader(token);
      if (token !== null && header !== null && header.until > newerThan) return token;
      if (locked === 0 || this.now() >= until) return null;
      await pause();
    }
  }

  private publish(cacheKey: string): void {
    // Only a hint to waiters, who poll anyway: an ACL without the channel or a lost message costs time, not a token.
    this.redis.publish(WRITTEN_CHANNEL, cacheKey).catch(() => {});
  }

  putStop(cacheKey: string, sealed: string, ttlMs: number): Promise<void> {
    return this.call(async () => {
      await this.redis.set(redisKeys(cacheKey).stop, sealed, 'PX', Math.max(1, Math.round(ttlMs)));
    });
  }

  clearStop(cacheKey: string): Promise<void> {
    return this.call(async () => {
      await this.redis.del(redisKeys(cacheKey).stop);
    });
  }

  putCool(cacheKey: string, sealed: string, ttlMs: number): Promise<void> {
    return this.call(async () => {
      await this.redis.set(redisKeys(cacheKey).cool, sealed, 'PX', Math.max(1, Math.round(ttlMs)));
    });
  }

  countRequest(cacheKey: string, at: number): Promise<void> {
    const key = redisKeys(cacheKey).count;
    return this.call(async () => {
      const answers = await this.redis
        .multi()
        .zadd(key, at, `${at}:${randomBytes(6).toString('hex')}`)
        .zremrangebyscore(key, '-inf', at - DAY_MS)
        .pexpire(key, DAY_MS)
        .exec();
      for (const [error] of answers ?? []) if (error) throw error;
    });
  }

  counts(cacheKeys: readonly string[], now: number): Promise<Map<string, FleetCounts>> {
    return this.call(async () => {
      const pipeline = this.redis.pipeline();
      for (const cacheKey of cacheKeys) {
        const key = redisKeys(cacheKey).count;
        pipeline.zcount(key, `(${now - HOUR_MS}`, '+inf').zcount(key, `(${now - DAY_MS}`, '+inf');
      }
      const answers = (await pipeline.exec()) ?? [];
      const result = new Map<string, FleetCounts>();
      cacheKeys.forEach((cacheKey, i) => {
        const hour = answers[i * 2];
        const day = answers[i * 2 + 1];
        if (hour === undefined || day === undefined || hour[0] || day[0]) return;
        result.set(cacheKey, { requestsLastHour: Number(hour[1]), requestsLastDay: Number(day[1]) });
      });
      return result;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopProbe();
    this.listeners.clear();
    this.subscriber.disconnect();
    try {
      if (this.redis.status === 'ready') await this.redis.quit();
      else this.redis.disconnect();
    } catch {
      this.redis.disconnect();
    }
  }

  // ---------------------------------------------------------------- health

  /** Every call: an answer means Redis is there, a failure means it is not (for now). */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      const value = await withDeadline(work(), READ_DEADLINE_MS);
      if (this.state.state !== 'connected') this.mark(null);
      return value;
    } catch (error) {
      const words = this.words(error);
      if (error instanceof DeadlineMissed) {
        this.stats.deadlineMissed += 1;
        this.confirm(words);
      } else {
        this.stats.otherFailures += 1;
        this.mark(words);
      }
      throw new SharedCacheCallFailed(words, error instanceof DeadlineMissed, { cause: error });
    }
  }

  /**
   * One missed deadline fails that call only: on a loaded machine a single answer can be late while
   * Redis is fine, and marking the cache unavailable would send every refresh upstream alone for a
   * while. One ping, given a second, decides; a hung Redis misses that too and is marked unavailable.
   */
  private confirm(reason: string): void {
    if (this.confirming || this.state.state !== 'connected') return;
    this.confirming = true;
    withDeadline(this.redis.ping(), CONFIRM_WITHIN_MS)
      .then(
        () => this.mark(null),
        () => this.mark(reason),
      )
      .finally(() => {
        this.confirming = false;
      });
  }

  private mark(reason: string | null): void {
    if (this.closed) return;
    const state = reason === null ? 'connected' : 'unavailable';
    // A hung server keeps its connection "ready": only an answer may bring the state back.
    if (state === 'connected' && this.redis.status !== 'ready') return;
    if (state === this.state.state) {
      // "Connection is closed" follows the failure that closed it; the person needs that failure's words.
      const vaguer = reason !== null && GENERIC_REASON.test(reason) && this.state.reason !== null && !GENERIC_REASON.test(this.state.reason);
      if (reason !== null && !vaguer) this.state.reason = reason;
      return;
    }
    if (state === 'unavailable') this.stats.becameUnavailable += 1;
    else this.stats.unavailableMs += this.now() - this.state.since;
    this.state = { state, reason, since: this.now() };
    // One line per change, not one per failed call (SPEC section 8: the log says so once).
    if (state === 'unavailable') {
      this.logger.warn('the shared cache is unavailable; refreshing alone until it answers', { location: this.location, reason });
      this.startProbe();
    } else {
      this.logger.warn('the shared cache answers again; sharing tokens with the fleet', { location: this.location });
      this.stopProbe();
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(this.health());
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  private startProbe(): void {
    if (this.probe !== null || this.closed) return;
    this.probe = setInterval(() => {
      if (this.redis.status !== 'ready') return;
      this.redis.ping().then(
        () => this.mark(null),
        (error: unknown) => this.mark(this.words(error)),
      );
    }, PROBE_EVERY_MS);
    this.probe.unref();
  }

  private stopProbe(): void {
    if (this.probe !== null) clearInterval(this.probe);
    this.probe = null;
  }

  /** An error in plain words, never with the password (a server may echo what it was sent). */
  private words(error: unknown): string {
    let text = error instanceof Error ? error.message : 'Redis failed';
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code !== undefined && UNTRUSTED_CERT_CODES.has(code)) {
      text = `Redis's TLS certificate is not trusted (${text}); name the CA that signed it in TOKENTRAY_SHARED_CACHE_CA`;
    } else if (error instanceof DeadlineMissed || /timed? ?out/i.test(text)) text = `Redis did not answer within ${READ_DEADLINE_MS} ms`;
    else if (/enableOfflineQueue|Stream isn't writeable/i.test(text)) text = 'not connected to Redis';
    for (const secret of this.secretsInUrl) text = text.split(secret).join('***');
    return text;
  }
}

class DeadlineMissed extends Error {}

/**
 * Rejects when `work` has not answered within `ms`. A process the machine did not run for a while
 * sees its timers before its sockets (Node runs timers before polling), so an answer that arrived in
 * time would be taken for a missed deadline; setImmediate runs after the poll and reads it first.
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new DeadlineMissed(`Redis did not answer within ${ms} ms`));
      });
    }, ms);
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
