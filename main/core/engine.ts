// The token engine (SPEC section 2): one cache entry per profile with its current token, single-flight
// refreshes, a scheduler that renews at 75% of the lifetime, backoff on failure and a stop on
// credential errors. Clock, fetch, vault and store come in as parameters, so the same engine runs in
// the app, in headless mode, in the one-shot CLI and under a fake clock in tests.
import type {
  ActivityEntry,
  EngineEvent,
  ProfileConfig,
  ProfileSecrets,
  ProfileState,
  ProfileStatus,
  TestResult,
} from '../../common/contract.js';
import { PROVIDERS, secretFieldsOf, type SecretField } from '../../common/providers.js';
import { formatFieldErrors, validateProfile } from '../../common/validation.js';
import { ActivityLog, DEFAULT_ACTIVITY_CAPACITY } from './activity-log.js';
import type { Clock, TimerHandle } from './clock.js';
import { backoffDelay } from './engine/backoff.js';
import { RequestCounter } from './engine/request-counter.js';
import { TokentrayError, toTokentrayError } from './errors.js';
import { resolveProfile } from './profiles.js';
import type {
  ConfigStore,
  Engine,
  FetchLike,
  Logger,
  ProviderRegistry,
  ResolvedProfile,
  Token,
  TokenRequestOptions,
  Vault,
} from './types.js';

export interface TokenEngineOptions {
  /** Renew once this fraction of the lifetime has passed (SPEC 2: 75%). */
  refreshFraction: number;
  /** The refresh point moves by up to ± this fraction of the lifetime, so profiles do not align. */
  jitterFraction: number;
  /** How long a demand waits for a refresh before failing with no_valid_token. */
  waitMs: number;
  /** First retry delay after a failure; also the shortest retry delay ever used. */
  backoffBaseMs: number;
  /** Retry delays grow exponentially up to this cap (Retry-After may ask for longer). */
  backoffMaxMs: number;
  /** The notification lead time; defaults to the store's settings.leadTimeSec. */
  leadTimeMs?: () => number;
  /** A timer that fires this much later than planned means the machine slept or the clock jumped. */
  lateTimerMs: number;
  activityCapacity: number;
}

export const DEFAULT_ENGINE_OPTIONS: TokenEngineOptions = {
  refreshFraction: 0.75,
  jitterFraction: 0.025,
  waitMs: 30_000,
  backoffBaseMs: 2_000,
  backoffMaxMs: 300_000,
  lateTimerMs: 30_000,
  activityCapacity: DEFAULT_ACTIVITY_CAPACITY,
};

export interface TokenEngineDeps {
  store: ConfigStore;
  vault: Vault;
  providers: ProviderRegistry;
  clock: Clock;
  fetch: FetchLike;
  random?: () => number;
  logger?: Logger;
  /** False for one-shot CLI use: no timers, no store subscription, cached tokens loaded lazily. */
  background?: boolean;
  options?: Partial<TokenEngineOptions>;
}

interface Waiter {
  resolve: (token: Token) => void;
  reject: (error: TokentrayError) => void;
  timer: TimerHandle | null;
}

interface ProfileEntry {
  profile: ProfileConfig;
  /** The profile with the provider's defaults applied, computed once per change. */
  resolved: ResolvedProfile;
  /** JSON of the profile, to notice changes made by another process. */
  key: string;
  token: Token | null;
  /** When the current token should be renewed (jitter applied once per token); null: never. */
  refreshAt: number | null;
  /** Whether the vault's cached token has been read (lazily in one-shot mode). */
  loaded: boolean;
  inflight: Promise<Token> | null;
  /** Aborts the in-flight request (stop, removal, profile change); reused until it has aborted. */
  abort: AbortController | null;
  /** Bumped whenever an in-flight request's outcome must be ignored (profile changed, removed, stop). */
  generation: number;
  waiters: Set<Waiter>;
  failures: number;
  /** Backoff: no automatic attempt before this time. */
  retryAt: number | null;
  lastError: TokentrayError | null;
  lastErrorAt: number | null;
  credentialStop: boolean;
  lastRefreshAt: number | null;
  nextAttemptAt: number | null;
  timer: TimerHandle | null;
  /** The last state emitted; null before the first event. */
  state: ProfileState | null;
  requests: RequestCounter;
  removed: boolean;
}

const NOOP_LOGGER: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
/** Never treat a token as valid in its last 5 s (or last 10% of a very short lifetime). */
const MAX_SAFETY_MARGIN_MS = 5_000;

export class TokenEngine implements Engine {
  private readonly store: ConfigStore;
  private readonly vault: Vault;
  private readonly providers: ProviderRegistry;
  private readonly clock: Clock;
  private readonly fetch: FetchLike;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly background: boolean;
  private readonly options: TokenEngineOptions;
  private readonly entries = new Map<string, ProfileEntry>();
  private readonly log: ActivityLog;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private unsubscribeStore: (() => void) | null = null;
  private started = false;
  private stopped = false;
  private leadMs = 300_000;
  private settingsKey = '';

  constructor(deps: TokenEngineDeps) {
    this.store = deps.store;
    this.vault = deps.vault;
    this.providers = deps.providers;
    this.clock = deps.clock;
    this.fetch = deps.fetch;
    this.random = deps.random ?? Math.random;
    this.logger = deps.logger ?? NOOP_LOGGER;
    this.background = deps.background ?? true;
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...deps.options };
    this.log = new ActivityLog(this.options.activityCapacity);
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.readSettings(false);
    for (const profile of this.store.listProfiles()) this.entries.set(profile.id, this.createEntry(profile));
    if (!this.background) return;
    // Cached tokens let a restart skip a request at a rate-limited endpoint (SPEC 2, seed 001).
    await Promise.all([...this.entries.values()].map((entry) => this.loadCached(entry)));
    if (this.stopped) return;
    this.unsubscribeStore = this.store.onDidChange(() => this.sync());
    for (const entry of this.entries.values()) this.evaluate(entry);
  }

  /**
   * One-shot use (background off) loads cached tokens only on demand; this reads every profile's
   * cache so statuses() shows what the next demand will find, without going upstream.
   */
  async loadCachedTokens(): Promise<void> {
    await Promise.all([...this.entries.values()].filter((entry) => !entry.loaded).map((entry) => this.loadCached(entry)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    this.unsubscribeStore?.();
    this.unsubscribeStore = null;
    const stopping = new TokentrayError('app_unavailable', 'Tokentray is shutting down.', {
      hint: 'Start Tokentray again and retry.',
    });
    for (const entry of this.entries.values()) {
      this.clearTimer(entry);
      this.cancelInflight(entry);
      this.settleWaiters(entry, stopping);
    }
  }

  // ---------------------------------------------------------------- profiles

  async upsertProfile(profile: ProfileConfig, secrets?: ProfileSecrets): Promise<ProfileStatus> {
    const result = validateProfile(profile, secrets ?? {}, { requireSecrets: false });
    if (!result.ok) throw configError(formatFieldErrors(result.errors));
    const valid = result.profile;
    const existing = this.store.getProfile(valid.id) ?? this.entries.get(valid.id)?.profile;
    const given = Object.entries(result.secrets).filter(
      (pair): pair is [SecretField, string] => typeof pair[1] === 'string' && pair[1] !== '',
    );
    if (existing === undefined) {
      // A new profile needs its secrets, given now or already in the keychain (a CLI may store them first).
      const missing: string[] = [];
      for (const field of PROVIDERS[valid.provider].fields) {
        if (!field.secret || !field.required) continue;
        const name = field.field as SecretField;
        if (given.some(([f]) => f === name)) continue;
        if ((await this.vault.getSecret(valid.id, name)) === null) {
          missing.push(`${field.field}: ${field.label} is required for ${PROVIDERS[valid.provider].label}`);
        }
      }
      if (missing.length > 0) throw configError(missing.join('\n'));
    }
    // Secrets go to the keychain before the profile is written, so no profile exists without them.
    for (const [field, value] of given) await this.vault.setSecret(valid.id, field, value);
    const now = new Date(this.clock.now()).toISOString();
    const saved: ProfileConfig = {
      ...valid,
      createdAt: existing?.createdAt ?? valid.createdAt ?? now,
      updatedAt: now,
    };
    // The engine applies the change first, so the store's change notification finds nothing new.
    this.applyProfile(saved, { secretsChanged: given.length > 0, explicit: true });
    this.store.putProfile(saved);
    return this.status(saved.id)!;
  }

  async removeProfile(id: string): Promise<boolean> {
    const existed = this.entries.has(id) || this.store.getProfile(id) !== undefined;
    // The keychain first: if it is locked, nothing is removed and the person gets a clear error.
    await this.vault.deleteProfile(id);
    this.dropEntry(id);
    this.store.removeProfile(id);
    return existed;
  }

  async testProfile(profile: ProfileConfig, secrets: ProfileSecrets): Promise<TestResult> {
    const at = new Date(this.clock.now());
    const result = validateProfile(profile, secrets, { requireSecrets: false });
    if (!result.ok) return { ok: false, error: configError(formatFieldErrors(result.errors)).toInfo(at) };
    try {
      // An edit that left a secret blank keeps the stored one, so the test uses it too.
      const merged = await this.readSecrets(result.profile, result.secrets);
      const entry = this.entries.get(result.profile.id);
      entry?.requests.add(this.clock.now());
      const token = await this.obtainWith(resolveProfile(result.profile), merged, undefined);
      const now = this.clock.now();
      return {
        ok: true,
        token: {
          token_type: token.tokenType,
          expires_at: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
          expires_in: token.expiresAt === null ? null : Math.max(0, Math.round((token.expiresAt - now) / 1000)),
          scope: token.scope ?? null,
        },
      };
    } catch (error) {
      return { ok: false, error: toTokentrayError(error).toInfo(new Date(this.clock.now())) };
    }
  }

  async setPaused(id: string, paused: boolean): Promise<ProfileStatus> {
    const entry = await this.entryFor(id, false);
    if ((entry.profile.paused ?? false) !== paused) {
      const updated: ProfileConfig = { ...entry.profile, paused, updatedAt: new Date(this.clock.now()).toISOString() };
      this.applyProfile(updated, { secretsChanged: false, explicit: true });
      this.store.putProfile(updated);
    }
    return this.status(id)!;
  }

  // ---------------------------------------------------------------- tokens

  getToken(id: string, options?: TokenRequestOptions): Promise<Token> {
    // The hot path (every loopback /token call): a loaded, still valid token needs no await at all.
    const ready = this.peekToken(id);
    return ready !== null ? Promise.resolve(ready) : this.obtainToken(id, options ?? {});
  }

  peekToken(id: string): Token | null {
    const entry = this.entries.get(id);
    if (entry === undefined || !entry.loaded || entry.token === null) return null;
    return this.isValid(entry.token, this.clock.now()) ? entry.token : null;
  }

  private async obtainToken(id: string, options: TokenRequestOptions): Promise<Token> {
    const entry = await this.entryFor(id, true);
    const now = this.clock.now();
    if (this.isValid(entry.token, now)) return entry.token!;
    if (entry.profile.paused === true) {
      throw new TokentrayError('paused', `Profile "${id}" is paused and has no valid token.`, {
        hint: `Resume it (tray menu, dashboard, or the API) to refresh its token.`,
      });
    }
    // A rejected credential never goes upstream on an automatic or API demand (SPEC 2).
    if (entry.credentialStop && entry.lastError !== null) throw entry.lastError;
    const waitMs = options.waitMs ?? this.options.waitMs;
    if (entry.inflight === null) {
      if (this.background && entry.retryAt !== null && entry.retryAt > now) {
        // Backing off: a demand waits for the scheduled retry rather than adding requests (no storms).
        if (entry.retryAt - now > waitMs) throw this.noValidToken(entry);
      } else {
        this.startRefresh(entry);
      }
    }
    return this.waitForOutcome(entry, waitMs);
  }

  async refresh(id: string, _options: TokenRequestOptions = {}): Promise<Token> {
    const entry = await this.entryFor(id, true);
    // A person asked: a credential stop and the backoff no longer hold them back (SPEC 2).
    entry.credentialStop = false;
    entry.retryAt = null;
    return this.startRefresh(entry);
  }

  invalidate(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.token === null) return;
    entry.token = null;
    entry.refreshAt = null;
    this.vault.setCachedToken(id, null).catch((error: unknown) => this.cacheWriteFailed(id, error));
    this.evaluate(entry);
  }

  // ---------------------------------------------------------------- status, activity, events

  status(id: string): ProfileStatus | undefined {
    const entry = this.entries.get(id);
    return entry === undefined ? undefined : this.buildStatus(entry, this.computeState(entry, this.clock.now()));
  }

  statuses(): ProfileStatus[] {
    if (!this.started && this.entries.size === 0) {
      for (const profile of this.store.listProfiles()) this.entries.set(profile.id, this.createEntry(profile));
    }
    const now = this.clock.now();
    return [...this.entries.values()].map((entry) => this.buildStatus(entry, this.computeState(entry, now)));
  }

  activity(): ActivityEntry[] {
    return this.log.list();
  }

  record(entry: Omit<ActivityEntry, 'seq' | 'at'>): void {
    // The log keeps the engine's own id string rather than the caller's (a slice of a request path,
    // new for every request), so a busy API client does not fill the heap with copies of one id.
    const profileId = entry.profileId === undefined ? undefined : (this.entries.get(entry.profileId)?.profile.id ?? entry.profileId);
    this.log.append(this.clock.now(), entry.kind, profileId, entry.client, entry.detail);
    // Every token handed out is an entry: build the event only when someone listens.
    if (this.listeners.size > 0) this.emit({ type: 'activity', entry: this.log.newest() as ActivityEntry });
  }

  reevaluate(): void {
    if (this.stopped) return;
    for (const entry of [...this.entries.values()]) this.evaluate(entry);
  }

  onDidEmit(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // ---------------------------------------------------------------- internals: entries

  private createEntry(profile: ProfileConfig): ProfileEntry {
    return {
      profile,
      resolved: resolveProfile(profile),
      key: JSON.stringify(profile),
      token: null,
      refreshAt: null,
      loaded: false,
      inflight: null,
      abort: null,
      generation: 0,
      waiters: new Set(),
      failures: 0,
      retryAt: null,
      lastError: null,
      lastErrorAt: null,
      credentialStop: false,
      lastRefreshAt: null,
      nextAttemptAt: null,
      timer: null,
      state: null,
      requests: new RequestCounter(),
      removed: false,
    };
  }

  private async entryFor(id: string, load: boolean): Promise<ProfileEntry> {
    let entry = this.entries.get(id);
    if (entry === undefined) {
      // Added by another process since the last sync, or one-shot use without start().
      const profile = this.store.getProfile(id);
      if (profile === undefined) {
        throw new TokentrayError('not_found', `There is no profile "${id}".`, {
          hint: 'Run `tokentray profile list` to see the profiles.',
        });
      }
      entry = this.createEntry(profile);
      this.entries.set(id, entry);
    }
    if (load && !entry.loaded) await this.loadCached(entry);
    return entry;
  }

  private async loadCached(entry: ProfileEntry): Promise<void> {
    const generation = entry.generation;
    try {
      const token = await this.vault.getCachedToken(entry.profile.id);
      if (token !== null && entry.generation === generation && entry.token === null && this.isValid(token, this.clock.now())) {
        entry.token = token;
        entry.refreshAt = this.refreshPoint(token);
      }
    } catch (error) {
      this.logger.warn('could not read the cached token', { profile: entry.profile.id, kind: toTokentrayError(error).kind });
    }
    entry.loaded = true;
  }

  /**
   * Applies a profile from upsert or setPaused (explicit: a person saved it, which also clears a
   * credential stop) or from another process's write noticed through the store.
   */
  private applyProfile(profile: ProfileConfig, how: { secretsChanged: boolean; explicit: boolean }): void {
    const { secretsChanged, explicit } = how;
    const entry = this.entries.get(profile.id);
    if (entry === undefined) {
      const created = this.createEntry(profile);
      this.entries.set(profile.id, created);
      this.record({ kind: 'profile-added', profileId: profile.id });
      if (this.background && this.started) {
        void this.loadCached(created).then(() => {
          if (!created.removed && !this.stopped) this.evaluate(created);
        });
      }
      return;
    }
    const key = JSON.stringify(profile);
    const changed = key !== entry.key;
    if (!changed && !secretsChanged && !(explicit && entry.credentialStop)) return;
    const pauseChanged = (entry.profile.paused ?? false) !== (profile.paused ?? false);
    const pauseOnly = pauseChanged && !secretsChanged && sameApartFromPause(entry.profile, profile);
    entry.profile = profile;
    entry.resolved = resolveProfile(profile);
    entry.key = key;
    if (pauseOnly) {
      this.record({ kind: profile.paused === true ? 'paused' : 'resumed', profileId: profile.id });
      this.evaluate(entry);
      return;
    }
    if (changed) {
      // New settings: the old token, request and stop belong to the old settings.
      this.cancelInflight(entry);
      entry.token = null;
      entry.refreshAt = null;
      entry.loaded = true;
      this.vault.setCachedToken(profile.id, null).catch((error: unknown) => this.cacheWriteFailed(profile.id, error));
      this.record({ kind: 'profile-updated', profileId: profile.id });
    }
    entry.credentialStop = false;
    entry.failures = 0;
    entry.retryAt = null;
    if (secretsChanged && !changed && entry.inflight === null && profile.paused !== true && this.background) {
      // New secrets with unchanged settings: keep serving the current token and fetch one with them.
      this.startRefresh(entry);
      return;
    }
    if (!this.background && entry.waiters.size > 0) this.startRefresh(entry);
    this.evaluate(entry);
  }

  private dropEntry(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    entry.removed = true;
    this.clearTimer(entry);
    this.cancelInflight(entry);
    this.settleWaiters(entry, new TokentrayError('not_found', `The profile "${id}" was removed.`));
    this.entries.delete(id);
    this.emit({ type: 'profile-removed', id });
    this.record({ kind: 'profile-removed', profileId: id });
  }

  /** The store changed, possibly by another process (the CLI): pick up added, changed, removed profiles. */
  private sync(): void {
    if (this.stopped) return;
    let profiles: ProfileConfig[];
    try {
      profiles = this.store.listProfiles();
    } catch (error) {
      this.logger.warn('could not read the profiles after a change', { kind: toTokentrayError(error).kind });
      return;
    }
    const seen = new Set<string>();
    for (const profile of profiles) {
      seen.add(profile.id);
      this.applyProfile(profile, { secretsChanged: false, explicit: false });
    }
    for (const id of [...this.entries.keys()]) if (!seen.has(id)) this.dropEntry(id);
    this.readSettings(true);
  }

  private readSettings(emitChange: boolean): void {
    try {
      const settings = this.store.getSettings();
      const key = JSON.stringify(settings);
      if (key === this.settingsKey) return;
      this.settingsKey = key;
      this.leadMs = settings.leadTimeSec * 1000;
      if (emitChange) {
        this.emit({ type: 'settings', settings });
        // The lead time moves the expiring boundary of every profile.
        for (const entry of this.entries.values()) if (entry.inflight === null) this.evaluate(entry);
      }
    } catch (error) {
      this.logger.warn('could not read the settings', { kind: toTokentrayError(error).kind });
    }
  }

  // ---------------------------------------------------------------- internals: refreshing

  /** Starts an upstream request unless one is in flight (single flight); resolves with its token. */
  private startRefresh(entry: ProfileEntry): Promise<Token> {
    if (entry.inflight !== null) return entry.inflight;
    this.clearTimer(entry);
    const generation = ++entry.generation;
    // One controller per entry, replaced only once it has been used to abort.
    const controller = entry.abort !== null && !entry.abort.signal.aborted ? entry.abort : new AbortController();
    entry.abort = controller;
    const { profile, resolved } = entry;
    const attempt = (async () => {
      const secrets = await this.readSecrets(profile, {});
      entry.requests.add(this.clock.now());
      return this.obtainWith(resolved, secrets, controller.signal);
    })();
    const outcome = attempt.then(
      (token) => {
        const current = entry.generation === generation && !entry.removed;
        if (!this.isValid(token, this.clock.now())) {
          // Never hand out an expired token, and refreshing again at once would loop: back off instead.
          const failure = new TokentrayError('bad_response', 'The token endpoint returned a token that has already expired.', {
            hint: "Check this computer's clock and the token lifetime the server sets.",
          });
          if (current) this.failed(entry, failure);
          throw failure;
        }
        if (current) this.succeeded(entry, token);
        return token;
      },
      (error: unknown) => {
        const failure = toTokentrayError(error);
        if (entry.generation === generation && !entry.removed) this.failed(entry, failure);
        throw failure;
      },
    );
    // Callers may not await it (a background refresh); the outcome is handled above either way.
    outcome.catch(() => {});
    entry.inflight = outcome;
    entry.nextAttemptAt = null;
    this.emitState(entry, false);
    return outcome;
  }

  private async readSecrets(profile: ProfileConfig, given: ProfileSecrets): Promise<ProfileSecrets> {
    const secrets: ProfileSecrets = { ...given };
    for (const field of secretFieldsOf(profile.provider)) {
      if (secrets[field] !== undefined && secrets[field] !== '') continue;
      const value = await this.vault.getSecret(profile.id, field);
      if (value === null) {
        const label = PROVIDERS[profile.provider].fields.find((f) => f.field === field)?.label ?? field;
        throw new TokentrayError('missing_secret', `No ${label.toLowerCase()} is stored for profile "${profile.id}".`, {
          hint: `Edit the profile and enter the ${label.toLowerCase()} again.`,
        });
      }
      secrets[field] = value;
    }
    return secrets;
  }

  private obtainWith(profile: ResolvedProfile, secrets: ProfileSecrets, signal: AbortSignal | undefined): Promise<Token> {
    const provider = this.providers.get(profile.provider);
    if (provider === undefined) {
      return Promise.reject(new TokentrayError('internal', `The provider "${profile.provider}" is not available.`));
    }
    const context = signal === undefined ? { fetch: this.fetch, clock: this.clock } : { fetch: this.fetch, clock: this.clock, signal };
    return provider.obtain(profile, secrets, context);
  }

  private succeeded(entry: ProfileEntry, token: Token): void {
    const now = this.clock.now();
    const recovered = entry.lastError !== null;
    entry.inflight = null;
    entry.token = token;
    entry.refreshAt = this.refreshPoint(token);
    entry.loaded = true;
    entry.failures = 0;
    entry.retryAt = null;
    entry.lastError = null;
    entry.lastErrorAt = null;
    entry.credentialStop = false;
    entry.lastRefreshAt = now;
    const id = entry.profile.id;
    // Cached so restarts and CLI runs reuse it; a keychain failure here only costs a request later.
    this.vault.setCachedToken(id, token).catch((error: unknown) => this.cacheWriteFailed(id, error));
    this.settleWaiters(entry, token);
    const expires = token.expiresAt === null ? 'never expires' : `expires ${new Date(token.expiresAt).toISOString()}`;
    this.record({ kind: 'refreshed', profileId: id, detail: expires });
    if (recovered) this.record({ kind: 'recovered', profileId: id });
    this.logger.info('token refreshed', { profile: id });
    this.evaluate(entry, recovered);
  }

  private failed(entry: ProfileEntry, error: TokentrayError): void {
    const now = this.clock.now();
    const id = entry.profile.id;
    entry.inflight = null;
    entry.lastError = error;
    entry.lastErrorAt = now;
    if (error.isCredentialError) {
      // Retrying cannot help; wait for a profile change or a person (SPEC 2).
      entry.credentialStop = true;
      entry.retryAt = null;
      this.record({ kind: 'credentials-rejected', profileId: id, detail: error.message });
      this.logger.warn('credentials rejected; refreshing stopped', { profile: id, kind: error.kind });
    } else {
      entry.failures += 1;
      entry.retryAt = this.retryTime(entry, error, now);
      const inSec = Math.round((entry.retryAt - now) / 1000);
      this.record({ kind: 'refresh-failed', profileId: id, detail: `${error.message} Retrying in ${inSec} s.` });
      this.logger.warn('refresh failed', { profile: id, kind: error.kind, retryInMs: entry.retryAt - now });
    }
    this.settleWaiters(entry, this.isValid(entry.token, now) ? entry.token! : this.demandError(entry));
    this.evaluate(entry);
  }

  /** When to retry after a failure: backoff, but before the current token expires if that can still save it. */
  private retryTime(entry: ProfileEntry, error: TokentrayError, now: number): number {
    const { backoffBaseMs, backoffMaxMs } = this.options;
    let retryAt = now + backoffDelay(entry.failures, { baseMs: backoffBaseMs, maxMs: backoffMaxMs }, this.random, error.retryAfterMs);
    const token = entry.token;
    if (token !== null && token.expiresAt !== null && this.isValid(token, now)) {
      const validUntil = this.validUntil(token);
      const floor = now + Math.max(backoffBaseMs, error.retryAfterMs ?? 0);
      // One last try a little before expiry, if it is no sooner than the backoff floor allows. After
      // it fails we are inside the slack, so this never repeats into a burst.
      const slack = Math.min(30_000, (token.expiresAt - token.obtainedAt) * 0.1);
      const lastChance = validUntil - slack;
      if (retryAt > validUntil && lastChance > floor) retryAt = lastChance;
    }
    return retryAt;
  }

  private cancelInflight(entry: ProfileEntry): void {
    entry.generation += 1;
    if (entry.inflight !== null) {
      entry.abort?.abort();
      entry.abort = null;
    }
    entry.inflight = null;
  }

  private waitForOutcome(entry: ProfileEntry, waitMs: number): Promise<Token> {
    return new Promise<Token>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: null };
      if (Number.isFinite(waitMs)) {
        waiter.timer = this.clock.setTimeout(() => {
          entry.waiters.delete(waiter);
          reject(this.noValidToken(entry));
        }, waitMs);
      }
      entry.waiters.add(waiter);
    });
  }

  private settleWaiters(entry: ProfileEntry, outcome: Token | TokentrayError): void {
    if (entry.waiters.size === 0) return;
    const waiters = [...entry.waiters];
    entry.waiters.clear();
    for (const waiter of waiters) {
      if (waiter.timer !== null) this.clock.clearTimeout(waiter.timer);
      if (outcome instanceof TokentrayError) waiter.reject(outcome);
      else waiter.resolve(outcome);
    }
  }

  /** What a waiting demand gets when the attempt failed: the credential error itself, else no_valid_token. */
  private demandError(entry: ProfileEntry): TokentrayError {
    if (entry.credentialStop && entry.lastError !== null) return entry.lastError;
    return this.noValidToken(entry);
  }

  private noValidToken(entry: ProfileEntry): TokentrayError {
    const last = entry.lastError;
    const id = entry.profile.id;
    const retry =
      entry.retryAt !== null && entry.retryAt > this.clock.now()
        ? ` The next attempt is at ${new Date(entry.retryAt).toISOString()}.`
        : '';
    return new TokentrayError(
      'no_valid_token',
      last === null
        ? `No valid token for profile "${id}" could be had in time.${retry}`
        : `No valid token for profile "${id}": ${last.message}${retry}`,
      {
        hint: last?.hint ?? 'Check the token endpoint is reachable, then refresh the profile.',
        ...(last?.status !== undefined ? { status: last.status } : {}),
        ...(last?.retryAfterMs !== undefined ? { retryAfterMs: last.retryAfterMs } : {}),
        ...(last !== null ? { cause: last } : {}),
      },
    );
  }

  private cacheWriteFailed(id: string, error: unknown): void {
    this.logger.warn('could not update the cached token in the keychain', { profile: id, kind: toTokentrayError(error).kind });
  }

  // ---------------------------------------------------------------- internals: time

  private validUntil(token: Token): number {
    if (token.expiresAt === null) return Number.POSITIVE_INFINITY;
    const lifetime = Math.max(0, token.expiresAt - token.obtainedAt);
    return token.expiresAt - Math.min(MAX_SAFETY_MARGIN_MS, lifetime * 0.1);
  }

  private isValid(token: Token | null, now: number): boolean {
    return token !== null && now < this.validUntil(token);
  }

  private refreshPoint(token: Token): number | null {
    if (token.expiresAt === null) return null;
    const lifetime = Math.max(0, token.expiresAt - token.obtainedAt);
    const jitter = (this.random() * 2 - 1) * this.options.jitterFraction;
    const at = token.obtainedAt + lifetime * (this.options.refreshFraction + jitter);
    return Math.min(at, this.validUntil(token));
  }

  private lead(): number {
    return this.options.leadTimeMs?.() ?? this.leadMs;
  }

  private computeState(entry: ProfileEntry, now: number): ProfileState {
    if (entry.profile.paused === true) return 'paused';
    if (entry.inflight !== null) return 'refreshing';
    if (entry.credentialStop) return 'error';
    const token = entry.token;
    if (token !== null && this.isValid(token, now)) {
      if (entry.refreshAt !== null && now >= entry.refreshAt) return 'expiring';
      if (entry.lastError !== null && token.expiresAt !== null && now >= token.expiresAt - this.lead()) return 'expiring';
      return 'fresh';
    }
    return entry.lastError !== null ? 'error' : 'expired';
  }

  /** Emits a state change, then refreshes if one is due or schedules the next wake-up. */
  private evaluate(entry: ProfileEntry, recovered = false): void {
    if (entry.removed) return;
    const now = this.clock.now();
    if (this.background && !this.stopped && this.attemptDue(entry, now)) {
      this.startRefresh(entry);
      return;
    }
    this.emitState(entry, recovered);
    this.schedule(entry, now);
  }

  private attemptDue(entry: ProfileEntry, now: number): boolean {
    if (entry.profile.paused === true || entry.inflight !== null || entry.credentialStop) return false;
    if (entry.retryAt !== null && now < entry.retryAt) return false;
    if (!this.isValid(entry.token, now)) return true;
    return entry.refreshAt !== null && now >= entry.refreshAt;
  }

  /** One timer per profile: the next attempt or the next state boundary, whichever comes first. */
  private schedule(entry: ProfileEntry, now: number): void {
    this.clearTimer(entry);
    entry.nextAttemptAt = null;
    if (!this.background || this.stopped || entry.profile.paused === true || entry.inflight !== null) return;
    const token = entry.token;
    const valid = this.isValid(token, now);
    let next = Number.POSITIVE_INFINITY;
    if (!entry.credentialStop) {
      const notBefore = entry.retryAt ?? now;
      const attemptAt = valid ? Math.max(entry.refreshAt ?? Number.POSITIVE_INFINITY, notBefore) : Math.max(now, notBefore);
      if (Number.isFinite(attemptAt)) entry.nextAttemptAt = attemptAt;
      next = attemptAt;
    }
    if (valid && token !== null && token.expiresAt !== null) {
      // State boundaries passed by time alone: refresh point, lead time, expiry.
      for (const boundary of [entry.refreshAt ?? 0, token.expiresAt - this.lead(), this.validUntil(token)]) {
        if (boundary > now && boundary < next) next = boundary;
      }
    }
    if (!Number.isFinite(next)) return;
    const planned = next;
    entry.timer = this.clock.setTimeout(() => this.fired(entry, planned), Math.max(0, planned - now));
  }

  private fired(entry: ProfileEntry, planned: number): void {
    entry.timer = null;
    if (this.stopped || entry.removed) return;
    // Far too late means the machine slept or the clock jumped: every profile needs a fresh look.
    if (this.clock.now() - planned > this.options.lateTimerMs) {
      this.logger.info('timer fired late; re-evaluating every profile', { lateMs: this.clock.now() - planned });
      this.reevaluate();
      return;
    }
    this.evaluate(entry);
  }

  private clearTimer(entry: ProfileEntry): void {
    if (entry.timer !== null) {
      this.clock.clearTimeout(entry.timer);
      entry.timer = null;
    }
  }

  // ---------------------------------------------------------------- internals: events

  private emitState(entry: ProfileEntry, recovered: boolean): void {
    const state = this.computeState(entry, this.clock.now());
    if (state === entry.state) return;
    const previous = entry.state;
    entry.state = state;
    this.emit({
      type: 'profile',
      status: this.buildStatus(entry, state),
      previous,
      recovered: recovered && (state === 'fresh' || state === 'expiring'),
    });
  }

  private buildStatus(entry: ProfileEntry, state: ProfileState): ProfileStatus {
    const now = this.clock.now();
    const token = entry.token;
    return {
      id: entry.profile.id,
      name: entry.profile.name,
      provider: entry.profile.provider,
      state,
      expiresAt: token?.expiresAt != null ? new Date(token.expiresAt).toISOString() : null,
      obtainedAt: token !== null ? new Date(token.obtainedAt).toISOString() : null,
      lastRefreshAt: entry.lastRefreshAt === null ? null : new Date(entry.lastRefreshAt).toISOString(),
      nextRefreshAt: entry.nextAttemptAt === null ? null : new Date(entry.nextAttemptAt).toISOString(),
      lastError: entry.lastError === null ? null : entry.lastError.toInfo(new Date(entry.lastErrorAt ?? now)),
      requestsLastHour: entry.requests.lastHour(now),
      requestsLastDay: entry.requests.lastDay(now),
    };
  }

  private emit(event: EngineEvent): void {
    if (this.listeners.size === 0) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error('an event listener failed', { kind: toTokentrayError(error).kind });
      }
    }
  }
}

function configError(details: string): TokentrayError {
  return new TokentrayError('config', `The profile is not valid:\n${details}`, {
    hint: 'Fix the fields named above and save again.',
  });
}

function sameApartFromPause(a: ProfileConfig, b: ProfileConfig): boolean {
  const strip = ({ paused: _p, updatedAt: _u, ...rest }: ProfileConfig) => JSON.stringify(rest);
  return strip(a) === strip(b);
}
