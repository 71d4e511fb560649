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
import type { FleetCounts, SharedCache, SharedCacheHealth, SharedRecords } from '../../core/fleet/shared-cache.js';

/** SPEC section 8: "every Redis call has a deadline (250 ms for a read)". */
export const READ_DEADLINE_MS = 250;
/** While unavailable, Redis is asked this often whether it answers again (a hung server never says). */
const PROBE_EVERY_MS = 1_000;
/** A waiter looks for the new record this often. */
const POLL_EVERY_MS = 25;
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

  constructor(options: RedisSharedCacheOptions) {
    this.location = options.location;
    this.keys = options.keys;
    this.logger = options.logger ?? NOOP_LOGGER;
    this.now = options.now ?? Date.now;
    this.state = { state: 'unavailable', reason: 'not connected yet', since: this.now() };
    const parsed = new URL(options.url);
    this.secretsInUrl = [parsed.password, decodeURIComponent(parsed.password)].filter((p) => p !== '');
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: READ_DEADLINE_MS,
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
  }

  /** Connects, waiting at most `withinMs`; resolves either way (health says how it went). */
  async connect(withinMs = 1_500): Promise<SharedCacheHealth> {
    let timer: NodeJS.Timeout | undefined;
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
    return this.call(async () => (await this.redis.putIfLater(redisKeys(cacheKey).token, sealed, String(Math.round(expiresAt)), String(ttl), replaceable ?? '')) === 1);
  }

  acquireLock(cacheKey: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.call(async () => (await this.redis.set(redisKeys(cacheKey).lock, owner, 'PX', Math.round(ttlMs), 'NX')) === 'OK');
  }

  releaseLock(cacheKey: string, owner: string): Promise<boolean> {
    return this.call(async () => (await this.redis.releaseLock(redisKeys(cacheKey).lock, owner)) === 1);
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
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_EVERY_MS, Math.max(1, until - this.now()))));
    }
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
      const value = await work();
      if (this.state.state !== 'connected') this.mark(null);
      return value;
    } catch (error) {
      this.mark(this.words(error));
      throw new Error(this.words(error), { cause: error });
    }
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
    } else if (/timed? ?out/i.test(text)) text = `Redis did not answer within ${READ_DEADLINE_MS} ms`;
    else if (/enableOfflineQueue|Stream isn't writeable/i.test(text)) text = 'not connected to Redis';
    for (const secret of this.secretsInUrl) text = text.split(secret).join('***');
    return text;
  }
}
