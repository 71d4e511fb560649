// The token engine (docs/refreshing.md) as a thin facade: one Refresher per profile (refresher.ts) holds
// the token and the one explicit state, lifetime.ts has the time rules, and the scheduler plugged in
// decides whether anything runs without a demand (the app and headless mode) or not (the one-shot CLI).
// Clock, fetch, vault and store come in as parameters, so tests drive it with a fake clock.
import type { AddTest, CreatedProfile } from '../../../common/admin-verbs.js';
import type { ActivityEntry, ActivityKind, EngineEvent, ErrorInfo, ProfileConfig, ProfileSecrets, ProfileState, ProfileStatus, TestResult } from '../../../common/contract.js';
import { TRANSPORT_KINDS } from '../../../common/errors.js';
import { secretFollowErrors } from '../../../common/profile-rules.js';
import { formatFieldErrors, validateProfile } from '../../../common/validation.js';
import { ActivityLog, DEFAULT_ACTIVITY_CAPACITY } from '../activity-log.js';
import type { Clock } from '../clock.js';
import { TokentrayError, noSuchProfile, toTokentrayError } from '../errors.js';
import { NOOP_LOGGER } from '../logger.js';
import { resolveProfile } from '../profiles.js';
import { secondsLeft } from '../wire.js';
import type {
  ClientTls,
  ConfigStore,
  Engine,
  EngineStateEvent,
  FetchLike,
  Logger,
  ProviderContext,
  ProviderRegistry,
  ResolvedProfile,
  Token,
  TokenRequestOptions,
  Vault,
} from '../types.js';
import type { BackoffOptions } from './backoff.js';
import { sharedRefreshDraw, type RefreshRules } from './lifetime.js';
import { checkClientAuth, clientTlsOf, needsClientTls } from '../providers/client-auth.js';
import { FleetTokens } from '../fleet/fleet-tokens.js';
import type { SharedCache } from '../fleet/shared-cache.js';
import { ProfileService, invalidProfile, type SaveMode } from './profile-service.js';
import { Refresher, readSecrets, type ObtainHow, type RefresherHost } from './refresher.js';
import { ON_DEMAND, type Scheduler, type SchedulerHost } from './scheduler.js';
import { Emitter } from '../../../common/emitter.js';
import type { HistoryStore } from './history.js';
import { RequestCounter } from './request-counter.js';

export interface TokenEngineOptions extends RefreshRules {
  /** How long a demand waits for a refresh before failing with no_valid_token. */
  waitMs: number;
  /** First retry delay after a failure; also the shortest retry delay ever used. */
  backoffBaseMs: number;
  /** Retry delays grow exponentially up to this cap (Retry-After may ask for longer). */
  backoffMaxMs: number;
  /** The notification lead time; defaults to the store's settings.leadTimeSec. */
  leadTimeMs?: () => number;
  activityCapacity: number;
}

export const DEFAULT_ENGINE_OPTIONS: TokenEngineOptions = {
  refreshFraction: 0.75,
  jitterFraction: 0.025,
  waitMs: 30_000,
  backoffBaseMs: 2_000,
  backoffMaxMs: 300_000,
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
  /**
   * What runs without a demand: a BackgroundScheduler for long-running processes; ON_DEMAND (the
   * default) for one-shot use, which reads cached tokens lazily and sets no timers.
   */
  scheduler?: Scheduler;
  /** Where the activity log and the request counts outlive the process; without one they live in memory only. */
  history?: HistoryStore;
  options?: Partial<TokenEngineOptions>;
  /**
   * The fleet's shared cache (SPEC section 8): due refreshes look there first and take its lock
   * before going upstream. Absent: every refresh goes upstream, as on a machine alone.
   */
  sharedCache?: SharedCache;
}


export class TokenEngine implements Engine {
  private readonly store: ConfigStore;
  private readonly vault: Vault;
  private readonly providers: ProviderRegistry;
  private readonly clock: Clock;
  private readonly fetch: FetchLike;
  private readonly logger: Logger;
  private readonly scheduler: Scheduler;
  private readonly options: TokenEngineOptions;
  private readonly refreshers = new Map<string, Refresher>();
  /** Upstream request times per profile id, kept across a stop and start (the file vault's Lock). */
  private readonly requestCounts = new Map<string, RequestCounter>();
  private readonly resolvedProfiles = new WeakMap<ProfileConfig, ResolvedProfile>();
  private readonly history: HistoryStore | undefined;
  private historyRead: Promise<void> | null = null;
  /**
   * Each profile's TLS material for the proxy, read once from the store and the vault: a token bound
   * to a certificate (RFC 8705) goes to the API over that same certificate. Dropped when the profile
   * changes (which also replaces its token).
   */
  private readonly tlsMaterial = new Map<string, Promise<ClientTls | null>>();
  private readonly profiles: ProfileService;
  private readonly log: ActivityLog;
  private readonly stateEvents = new Emitter<EngineStateEvent>((error) => this.logger.error('an event listener failed', { kind: toTokentrayError(error).kind }));
  private readonly activityEvents = new Emitter<ActivityEntry>((error) => this.logger.error('an activity listener failed', { kind: toTokentrayError(error).kind }));
  private readonly host: RefresherHost;
  private readonly schedulerHost: SchedulerHost;
  private fleet: FleetTokens | null = null;
  private running = false;
  private leadMs = 300_000;
  private settingsKey = '';
  private lastActivityEvent: { type: 'activity'; entry: ActivityEntry } | null = null;

  constructor(deps: TokenEngineDeps) {
    this.store = deps.store;
    this.vault = deps.vault;
    this.providers = deps.providers;
    this.clock = deps.clock;
    this.fetch = deps.fetch;
    this.logger = deps.logger ?? NOOP_LOGGER;
    this.scheduler = deps.scheduler ?? ON_DEMAND;
    this.history = deps.history;
    const options = { ...DEFAULT_ENGINE_OPTIONS, ...deps.options };
    this.options = options;
    this.log = new ActivityLog(options.activityCapacity);
    this.profiles = new ProfileService({ store: deps.store, vault: deps.vault, clock: deps.clock });
    this.joinFleet(deps.sharedCache ?? null);
    const backoff: BackoffOptions = { baseMs: options.backoffBaseMs, maxMs: options.backoffMaxMs };
    this.host = {
      clock: deps.clock,
      vault: deps.vault,
      random: deps.random ?? Math.random,
      refreshDraw: (token) => (this.fleet === null ? this.host.random() : sharedRefreshDraw(token)),
      rules: { refreshFraction: options.refreshFraction, jitterFraction: options.jitterFraction },
      backoff,
      logger: this.logger,
      leadMs: () => options.leadTimeMs?.() ?? this.leadMs,
      obtain: (profile, how) => this.obtainFor(profile, how),
      record: (kind, profileId, detail) => this.append(kind, profileId, undefined, detail),
      requested: (refresher) => this.countRequest(refresher, this.clock.now()),
      changed: (refresher, recovered) => this.changed(refresher, recovered),
    };
    this.schedulerHost = {
      refreshers: () => this.refreshers.values(),
      watchStore: () => this.store.onDidChange(() => this.sync()),
      evaluate: (refresher) => this.changed(refresher, false),
      reevaluate: () => this.reevaluate(),
    };
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.restoreHistory();
    this.readSettings(false);
    for (const profile of this.store.listProfiles()) this.refreshers.set(profile.id, this.newRefresher(profile));
    await this.scheduler.start(this.schedulerHost);
  }

  /**
   * Reads the activity log and request times an earlier run kept, once; start() does it too. A host
   * calls it before anything is recorded, so restored entries come first.
   */
  restoreHistory(): Promise<void> {
    this.historyRead ??= this.readHistory();
    return this.historyRead;
  }

  /**
   * One-shot use (ON_DEMAND) reads cached tokens only on demand; this reads every profile's cache so
   * statuses() shows what the next demand will find, without going upstream.
   */
  async loadCachedTokens(): Promise<void> {
    await Promise.all([...this.refreshers.values()].map((refresher) => refresher.loadCache()));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.scheduler.stop();
    const stopping = new TokentrayError('app_unavailable', 'Tokentray is shutting down.', {
      hint: 'Start Tokentray again and retry.',
    });
    for (const refresher of this.refreshers.values()) refresher.halt(stopping);
    // Nothing stays in memory once stopped (the file vault's Lock stops the engine): start() reloads.
    this.refreshers.clear();
    this.tlsMaterial.clear();
    await this.history?.flush();
  }

  /** Writes what the history store still holds, then closes it (the process is ending). */
  async closeHistory(): Promise<void> {
    await this.history?.close();
  }

  // ---------------------------------------------------------------- profiles

  async upsertProfile(profile: ProfileConfig, secrets?: ProfileSecrets): Promise<ProfileStatus> {
    const saved = await this.saveProfile(profile, secrets ?? {}, 'save');
    return this.status(saved.id)!;
  }

  /** The dashboard's Add: an id that is taken is refused (field `id`) and nothing changes. */
  async addProfile(profile: ProfileConfig, secrets: ProfileSecrets): Promise<ProfileStatus> {
    const saved = await this.saveProfile(profile, secrets, 'create');
    return this.status(saved.id)!;
  }

  async createProfile(profile: unknown, secrets: ProfileSecrets, options: { test: boolean }): Promise<CreatedProfile> {
    // Refused before the provider is asked: a taken id or a missing field costs no request.
    const checked = this.profiles.check(profile, 'create');
    const result = validateProfile(checked, secrets, { requireSecrets: true });
    if (!result.ok) throw invalidProfile(formatFieldErrors(result.errors));
    // What the save does first for a new id (leftovers of an earlier profile go), done before the
    // test: a vault that cannot keep the secret (no keychain, a locked file) says so before any request.
    // A shared-only profile keeps nothing in the vault and never asks the provider itself.
    const sharedOnly = result.profile.sharedOnly === true;
    if (!sharedOnly) await this.vault.deleteProfile(result.profile.id);
    let token: Token | undefined;
    let test: AddTest = 'skipped';
    let warning: ErrorInfo | undefined;
    if (options.test && !sharedOnly) {
      try {
        await checkClientAuth(result.profile, result.secrets, this.clock.now());
        token = await this.obtainWith(resolveProfile(result.profile), result.secrets, undefined);
        test = 'passed';
      } catch (error) {
        const failure = toTokentrayError(error);
        // A provider that answered "no" keeps the profile out; one that could not be asked is no verdict.
        if (!couldNotJudge(failure.kind)) throw failure;
        test = 'unreachable';
        warning = failure.toInfo(new Date(this.clock.now()));
      }
    }
    const saved = await this.saveProfile(result.profile, result.secrets, 'create', token);
    return { profile: saved, test, ...(warning === undefined ? {} : { warning }) };
  }

  /**
   * The profile service validates and writes; the engine applies the change before the store's
   * change notification, so that notification finds nothing new (and a failed write is undone).
   */
  private saveProfile(profile: ProfileConfig, secrets: ProfileSecrets, mode: SaveMode, token?: Token): Promise<ProfileConfig> {
    return this.profiles.save(
      profile,
      secrets,
      mode,
      {
        applied: (next, secretsChanged) => this.applyProfile(next, { secretsChanged, explicit: true }),
        reverted: (previous) => (previous === undefined ? this.drop(profile.id) : this.applyProfile(previous, { secretsChanged: false, explicit: true })),
      },
      token,
    );
  }

  async removeProfile(id: string): Promise<boolean> {
    const known = this.refreshers.has(id);
    const existed = await this.profiles.remove(id, { removed: () => this.drop(id) });
    return existed || known;
  }

  async testProfile(profile: ProfileConfig, secrets: ProfileSecrets): Promise<TestResult> {
    const at = new Date(this.clock.now());
    const result = validateProfile(profile, secrets, { requireSecrets: false });
    if (!result.ok) return { ok: false, error: configError(formatFieldErrors(result.errors), 'test').toInfo(at) };
    // A test of an edit uses the stored secret too, so it follows the same rule as a save.
    const follow = secretFollowErrors(this.store.getProfile(result.profile.id), result.profile, result.secrets);
    if (follow.length > 0) return { ok: false, error: configError(formatFieldErrors(follow), 'test').toInfo(at) };
    try {
      // An edit that left a secret blank keeps the stored one, so the test uses it too.
      const merged = await readSecrets(this.vault, result.profile, result.secrets);
      await checkClientAuth(result.profile, merged, this.clock.now());
      const known = this.refreshers.get(result.profile.id);
      if (known !== undefined) this.countRequest(known, this.clock.now());
      const token = await this.obtainWith(resolveProfile(result.profile), merged, undefined);
      const now = this.clock.now();
      return {
        ok: true,
        token: {
          token_type: token.tokenType,
          expires_at: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
          expires_in: secondsLeft(token, now),
          scope: token.scope ?? null,
        },
      };
    } catch (error) {
      return { ok: false, error: toTokentrayError(error).toInfo(new Date(this.clock.now())) };
    }
  }

  async setPaused(id: string, paused: boolean): Promise<ProfileStatus> {
    const refresher = this.refresherFor(id);
    if (refresher.paused !== paused) {
      const updated: ProfileConfig = { ...refresher.profile, paused, updatedAt: new Date(this.clock.now()).toISOString() };
      this.applyProfile(updated, { secretsChanged: false, explicit: true });
      this.store.putProfile(updated);
    }
    return this.status(id)!;
  }

  // ---------------------------------------------------------------- tokens

  getToken(id: string, options?: TokenRequestOptions): Promise<Token> {
    // The hot path (every loopback /token call): a loaded, still valid token needs no await at all.
    const ready = this.peekToken(id, options);
    if (ready !== null) return Promise.resolve(ready);
    try {
      const refresher = this.refresherFor(id);
      const client = options?.client;
      return refresher
        .demand(options?.waitMs ?? this.options.waitMs, this.scheduler.plannedAttemptAt(refresher))
        .then((token) => this.handOut(refresher, token, client));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  peekToken(id: string, options?: TokenRequestOptions): Token | null {
    const refresher = this.refreshers.get(id);
    if (refresher === undefined) return null;
    const token = refresher.peek(this.clock.now());
    return token === null ? null : this.handOut(refresher, token, options?.client);
  }

  async refresh(id: string, options: TokenRequestOptions = {}): Promise<Token> {
    const refresher = this.refresherFor(id);
    return this.handOut(refresher, await refresher.refreshNow(), options.client);
  }

  invalidate(id: string): void {
    this.refreshers.get(id)?.invalidate();
  }

  noteApiAnswer(id: string, error: TokentrayError | null): void {
    const refresher = this.refreshers.get(id);
    if (refresher === undefined || !refresher.noteApiAnswer(error, this.clock.now())) return;
    if (error !== null) this.logger.warn('the API refused the token', { profile: id, kind: error.kind });
    // The state may be the same while lastError is not: the status goes out either way.
    const now = this.clock.now();
    const state = refresher.state(now);
    refresher.emitted = state;
    this.emit({ type: 'profile', status: refresher.status(now, this.scheduler.plannedAttemptAt(refresher), state), previous: state, recovered: false });
  }

  clientTls(id: string): Promise<ClientTls | null> {
    const known = this.tlsMaterial.get(id);
    if (known !== undefined) return known;
    const profile = this.store.getProfile(id);
    if (profile === undefined) return Promise.reject(noSuchProfile(id));
    const material = readSecrets(this.vault, profile, {}).then((secrets) => clientTlsOf(profile, secrets));
    this.tlsMaterial.set(id, material);
    // A failure (a locked vault, a CA file moved) is not kept: the next request tries again.
    material.catch(() => {
      if (this.tlsMaterial.get(id) === material) this.tlsMaterial.delete(id);
    });
    return material;
  }

  // ---------------------------------------------------------------- status, activity, events

  status(id: string): ProfileStatus | undefined {
    const refresher = this.refreshers.get(id);
    return refresher === undefined ? undefined : this.statusOf(refresher, this.clock.now());
  }

  /** Every profile's status at this moment; reading them changes nothing. */
  statuses(): ProfileStatus[] {
    const now = this.clock.now();
    const all = [...this.refreshers.values()];
    this.fleet?.refreshCounts(all.map((refresher) => this.resolved(refresher.profile)));
    return all.map((refresher) => this.statusOf(refresher, now));
  }

  /** The fleet that shares this engine's tokens, if any (status output, the dashboard's panel). */
  get sharedFleet(): FleetTokens | null {
    return this.fleet;
  }

  /**
   * Joins another shared cache, or none, while running (a person joined or left a fleet in the
   * dashboard). Each refresh reads the fleet once as it starts, so one already under way finishes
   * on the cache it began with; a cache closed under it fails its calls and it works alone.
   */
  joinFleet(cache: SharedCache | null): void {
    this.fleet = cache === null ? null : new FleetTokens({ cache, clock: this.clock, logger: this.logger });
  }

  /** A refresher's status with what only the engine knows: shared-only, and the fleet's counts. */
  private statusOf(refresher: Refresher, now: number, state?: ProfileState): ProfileStatus {
    const status = refresher.status(now, this.scheduler.plannedAttemptAt(refresher), state);
    if (refresher.profile.sharedOnly === true) status.sharedOnly = true;
    const counts = this.fleet?.countsFor(this.resolved(refresher.profile));
    if (counts !== undefined) {
      status.fleet = { ...counts };
      // SPEC section 8: the counts a rate limit cares about are the fleet's.
      status.requestsLastHour = Math.max(status.requestsLastHour, counts.requestsLastHour);
      status.requestsLastDay = Math.max(status.requestsLastDay, counts.requestsLastDay);
    }
    return status;
  }

  activity(): ActivityEntry[] {
    return this.log.list();
  }

  record(entry: Omit<ActivityEntry, 'seq' | 'at'>): void {
    // The log keeps the engine's own id string rather than the caller's (a slice of a request path,
    // new for every request), so a busy caller does not fill the heap with copies of one id.
    const id = entry.profileId === undefined ? undefined : (this.refreshers.get(entry.profileId)?.id ?? entry.profileId);
    this.append(entry.kind, id, entry.client, entry.detail);
  }

  reevaluate(): void {
    if (!this.running) return;
    for (const refresher of [...this.refreshers.values()]) this.changed(refresher, false);
  }

  onDidChangeState(listener: (event: EngineStateEvent) => void): () => void {
    return this.stateEvents.on(listener);
  }

  onDidRecordActivity(listener: (entry: ActivityEntry) => void): () => void {
    return this.activityEvents.on(listener);
  }

  onDidEmit(listener: (event: EngineEvent) => void): () => void {
    const offState = this.onDidChangeState(listener);
    const offActivity = this.onDidRecordActivity((entry) => listener(this.activityEvent(entry)));
    return () => {
      offState();
      offActivity();
    };
  }

  // ---------------------------------------------------------------- internals

  /** Every onDidEmit listener gets the same event for an entry: one object per entry, not per listener. */
  private activityEvent(entry: ActivityEntry): EngineEvent {
    if (this.lastActivityEvent?.entry !== entry) this.lastActivityEvent = { type: 'activity', entry };
    return this.lastActivityEvent;
  }

  /** Every token handed out is recorded, with its consumer (docs/http-api.md). */
  private handOut(refresher: Refresher, token: Token, client: string | undefined): Token {
    this.append('token-issued', refresher.id, client, undefined);
    return token;
  }

  private append(kind: ActivityKind, profileId: string | undefined, client: string | undefined, detail: string | undefined): void {
    this.log.append(this.clock.now(), kind, profileId, client, detail);
    this.history?.activityAdded();
    // Thousands of tokens a second may be handed out: build the entry only when someone listens.
    if (this.activityEvents.size === 0) return;
    this.activityEvents.emit(this.log.newest() as ActivityEntry);
  }

  private newRefresher(profile: ProfileConfig): Refresher {
    let requests = this.requestCounts.get(profile.id);
    if (requests === undefined) {
      requests = new RequestCounter();
      this.requestCounts.set(profile.id, requests);
    }
    return new Refresher(profile, this.host, requests);
  }

  private countRequest(refresher: Refresher, at: number): void {
    refresher.requests.add(at);
    this.history?.requestMade(refresher.id, at);
  }

  private async readHistory(): Promise<void> {
    const history = this.history;
    if (history === undefined) return;
    const kept = await history.load({
      now: () => this.clock.now(),
      report: (problem) => this.logger.warn(problem.message, { file: problem.file, ...(problem.movedTo === undefined ? {} : { movedTo: problem.movedTo }) }),
    });
    this.log.restore(kept.activity);
    for (const [id, times] of kept.requests) {
      let counter = this.requestCounts.get(id);
      if (counter === undefined) {
        counter = new RequestCounter();
        this.requestCounts.set(id, counter);
      }
      // A counter takes times in order: the kept ones come before any this run has counted.
      const counted = counter.times();
      counter.clear();
      for (const at of [...times, ...counted]) counter.add(at);
    }
    history.follow(this.log);
  }

  private refresherFor(id: string): Refresher {
    let refresher = this.refreshers.get(id);
    if (refresher === undefined) {
      // Added by another process since the last sync, or one-shot use without start().
      const profile = this.store.getProfile(id);
      if (profile === undefined) {
        throw noSuchProfile(id);
      }
      refresher = this.newRefresher(profile);
      this.refreshers.set(id, refresher);
    }
    return refresher;
  }

  /** After every transition: a due attempt starts at once (its state is "refreshing"), else the state is emitted and the next wake-up planned. */
  private changed(refresher: Refresher, recovered: boolean): void {
    if (refresher.phase.kind === 'removed') return;
    const now = this.clock.now();
    if (this.scheduler.due(refresher, now)) {
      void refresher.attempt();
      return;
    }
    // Planned first, so the status emitted below carries the next refresh it announces (after a
    // refresh the old plan was cleared, and the dashboard showed no next refresh until a reload).
    this.scheduler.plan(refresher, now);
    const state = refresher.state(now);
    const warning = refresher.warning(now);
    // The lead window can open while the state stays "expiring": it is news for the notifications.
    if (state !== refresher.emitted || warning !== refresher.emittedWarning) {
      const previous = refresher.emitted;
      refresher.emitted = state;
      refresher.emittedWarning = warning;
      this.emit({
        type: 'profile',
        status: this.statusOf(refresher, now, state),
        previous,
        recovered: recovered && (state === 'fresh' || state === 'expiring'),
      });
    }
  }

  /**
   * Applies a profile from upsert or setPaused (explicit: a person saved it, which also clears a
   * credential stop) or from another process's write noticed through the store.
   */
  private applyProfile(profile: ProfileConfig, how: { secretsChanged: boolean; explicit: boolean }): void {
    this.tlsMaterial.delete(profile.id);
    const existing = this.refreshers.get(profile.id);
    if (existing === undefined) {
      const created = this.newRefresher(profile);
      this.refreshers.set(profile.id, created);
      this.append('profile-added', profile.id, undefined, undefined);
      if (this.running) this.scheduler.adopt(created);
      return;
    }
    const change = existing.reconfigure(profile, how);
    if (change === 'paused' || change === 'resumed' || change === 'updated') {
      this.append(change === 'updated' ? 'profile-updated' : change, profile.id, undefined, undefined);
    }
  }

  private drop(id: string): void {
    const refresher = this.refreshers.get(id);
    if (refresher === undefined) return;
    refresher.remove();
    this.tlsMaterial.delete(id);
    this.scheduler.forget(refresher);
    this.refreshers.delete(id);
    this.requestCounts.delete(id);
    this.emit({ type: 'profile-removed', id });
    this.append('profile-removed', id, undefined, undefined);
  }

  /** The store changed, possibly by another process (the CLI): pick up added, changed, removed profiles. */
  private sync(): void {
    if (!this.running) return;
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
    for (const id of [...this.refreshers.keys()]) if (!seen.has(id)) this.drop(id);
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
        for (const refresher of this.refreshers.values()) if (refresher.phase.kind !== 'refreshing') this.changed(refresher, false);
      }
    } catch (error) {
      this.logger.warn('could not read the settings', { kind: toTokentrayError(error).kind });
    }
  }

  /** One refresh of a stored profile: through the fleet when there is one, else straight upstream. */
  private async obtainFor(config: ProfileConfig, how: ObtainHow): Promise<Token> {
    const profile = this.resolved(config);
    if (this.fleet === null) {
      if (config.sharedOnly === true) throw noSharedCache(config.id);
      // Alone, without the closures the fleet's path needs: this runs for every refresh.
      const given = await readSecrets(this.vault, config, NO_SECRETS);
      how.counted();
      return await this.obtainWith(profile, given, how.signal);
    }
    const secrets = (): Promise<ProfileSecrets> => readSecrets(this.vault, config, NO_SECRETS);
    const upstream = (given: ProfileSecrets): Promise<Token> => {
      how.counted();
      return this.obtainWith(profile, given, how.signal);
    };
    return this.fleet.obtain({ profile, current: how.current, forced: how.forced, sharedOnly: config.sharedOnly === true, signal: how.signal, secrets, upstream });
  }

  /**
   * A config object is replaced, never changed, when a profile is edited, so its resolved form is
   * kept beside it: resolving (an object spread) on every refresh was a large share of a refresh.
   */
  private resolved(config: ProfileConfig): ResolvedProfile {
    let profile = this.resolvedProfiles.get(config);
    if (profile === undefined) {
      profile = resolveProfile(config);
      this.resolvedProfiles.set(config, profile);
    }
    return profile;
  }

  /** Not an async function: without client TLS (most refreshes) it is the provider's own promise. */
  private obtainWith(profile: ResolvedProfile, secrets: ProfileSecrets, signal: AbortSignal | undefined): Promise<Token> {
    const provider = this.providers.get(profile.provider);
    if (provider === undefined) {
      return Promise.reject(new TokentrayError('internal', `The provider "${profile.provider}" is not available.`));
    }
    const context: ProviderContext = signal === undefined ? { fetch: this.fetch, clock: this.clock } : { fetch: this.fetch, clock: this.clock, signal };
    if (!needsClientTls(profile)) return provider.obtain(profile, secrets, context);
    // Read for every request: a renewed CA file or certificate is used without a restart.
    return clientTlsOf(profile, secrets).then((tls) => {
      if (tls !== null) context.tls = tls;
      return provider.obtain(profile, secrets, context);
    });
  }

  private emit(event: EngineStateEvent): void {
    this.stateEvents.emit(event);
  }
}

/** Nothing given: every secret comes from the vault. */
const NO_SECRETS: ProfileSecrets = Object.freeze({});

function noSharedCache(id: string): TokentrayError {
  return new TokentrayError('shared_unavailable', `Profile "${id}" is shared-only, and no shared cache is configured here.`, {
    hint: 'Give this machine the fleet\'s Redis with --shared-cache URL or TOKENTRAY_SHARED_CACHE (and TOKENTRAY_SHARED_KEY).',
  });
}

/**
 * A test that could not reach the provider, or that the provider could not answer now (rate limit,
 * server error), says nothing about the credential: `profile add` saves it with a warning.
 */
function couldNotJudge(kind: ErrorInfo['kind']): boolean {
  return (TRANSPORT_KINDS as readonly string[]).includes(kind) || kind === 'rate_limited' || kind === 'server_error';
}

function configError(details: string, then: 'save' | 'test' = 'save'): TokentrayError {
  return new TokentrayError('config', `The profile is not valid:\n${details}`, {
    hint: `Fix the fields named above and ${then} again.`,
  });
}
