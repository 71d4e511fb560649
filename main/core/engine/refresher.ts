// One profile's token and its one explicit state (STYLE: a tagged union instead of flags that must
// agree). Every change of phase goes through transition(), which also does what the change implies
// (settle waiting demands, record activity, write the keychain cache) and then tells the engine, whose
// scheduler (if one is plugged in) decides what runs next. The time rules themselves are lifetime.ts.
import type { ActivityKind, ProfileConfig, ProfileSecrets, ProfileState, ProfileStatus } from '../../../common/contract.js';
import { PROVIDERS, secretFieldsFor, type SecretField } from '../../../common/providers.js';
import type { Clock, TimerHandle } from '../clock.js';
import { TokentrayError, toTokentrayError } from '../errors.js';
import type { Logger, Token, Vault } from '../types.js';
import type { BackoffOptions } from './backoff.js';
import { failingWithinLead, isValid, refreshPoint, retryTime, stateAt, nextBoundary, type RefreshRules } from './lifetime.js';
import { toProfileStatus, tokenTimesOf, type TokenTimes } from '../wire.js';
import type { RequestCounter } from './request-counter.js';

/**
 * What the refresher is doing. A paused profile is a setting of the profile (a person's refresh may
 * still run while it is paused), so it is read from the profile, not kept as a phase.
 */
export type Phase =
  | { readonly kind: 'idle' }
  /** One upstream request (single flight); `failures` counts the failed attempts before it. */
  | { readonly kind: 'refreshing'; readonly attempt: Promise<Token>; readonly seq: number; readonly controller: AbortController; readonly failures: number }
  /** The last attempt failed: no automatic attempt before retryAt (docs/refreshing.md: backoff). */
  | { readonly kind: 'backing-off'; readonly retryAt: number; readonly failures: number }
  /** The credentials were rejected: no attempt until the profile changes or a person asks (docs/refreshing.md). */
  | { readonly kind: 'stopped'; readonly error: TokentrayError }
  | { readonly kind: 'removed' };

/** Everything that changes a phase, handled in transition(). */
type PhaseEvent =
  | { type: 'attempt'; attempt: Promise<Token>; seq: number; controller: AbortController }
  | { type: 'succeeded'; token: Token }
  | { type: 'failed'; error: TokentrayError }
  /** A person asked, or the profile changed: backoff and credential stop no longer hold. */
  | { type: 'reset' }
  /** Abandon the request in flight (engine stop, profile change); its outcome is ignored. */
  | { type: 'cancel'; error: TokentrayError | null }
  | { type: 'remove'; error: TokentrayError };

/** What a refresher needs from the engine that owns it. */
export interface RefresherHost {
  readonly clock: Clock;
  readonly vault: Vault;
  readonly random: () => number;
  /** The jitter draw for this token's renewal, in [0, 1): see `refreshDraw` in lifetime.ts. */
  refreshDraw(token: Token): number;
  readonly rules: RefreshRules;
  readonly backoff: BackoffOptions;
  readonly logger: Logger;
  leadMs(): number;
  /**
   * One refresh: the provider's obtain with this profile's secrets, or (with a shared cache) the
   * fleet's token or its single request. `counted` runs once for each request that goes upstream.
   */
  obtain(profile: ProfileConfig, how: ObtainHow): Promise<Token>;
  record(kind: ActivityKind, profileId: string, detail?: string): void;
  /** A token request is about to go upstream for this profile (the hour and day counts). */
  requested(refresher: Refresher): void;
  /** After every transition (and a profile change): emit the state, let the scheduler act. */
  changed(refresher: Refresher, recovered: boolean): void;
}

/** What a refresh knows besides the profile: the token held, who asked, and how to count a request. */
export interface ObtainHow {
  current: Token | null;
  /** A person asked (SPEC 2): nothing shared or remembered holds the request back. */
  forced: boolean;
  signal: AbortSignal;
  counted(): void;
}

interface Waiter {
  resolve: (token: Token) => void;
  reject: (error: TokentrayError) => void;
  timer: TimerHandle | null;
}

/** How a profile change affected the refresher, for the activity log. */
export type ProfileChange = 'none' | 'paused' | 'resumed' | 'updated' | 'reset';

const IDLE: Phase = { kind: 'idle' };

export class Refresher {
  private phaseNow: Phase = IDLE;
  private current: Token | null = null;
  /**
   * The current token's times in ISO form, made once per token: a status is built at every change of
   * state (twice a refresh, for the events), and formatting dates cost about as much as the rest of it.
   */
  private currentTimes: TokenTimes | null = null;
  /** When the current token is renewed (jitter drawn once per token); null: never. */
  private refreshAt: number | null = null;
  /** The last failure, shown until an attempt succeeds (it outlives backoff and profile changes). */
  private failure: TokentrayError | null = null;
  private failureAt = 0;
  /** What the API said of the token through the proxy (seed 002), until it answers well again. */
  private apiFailure: { error: TokentrayError; at: number } | null = null;
  private lastRefreshAt: number | null = null;
  /** The keychain cache: not read yet, being read, or read (one-shot use reads it on demand). */
  private cache: 'unread' | Promise<void> | 'read' = 'unread';
  private waiters: Waiter[] | null = null;
  /**
   * The signal every attempt passes to its provider, replaced only once it has been aborted: a
   * controller and its signal cost more to make than the rest of an attempt's own work, and the
   * provider's request adds its listener and removes it again when it ends (token-request.ts).
   */
  private controller = new AbortController();
  /** Numbers the attempts, so an outcome can tell whether its attempt is still the one in flight. */
  private attempts = 0;
  /** Made once per refresher rather than once per attempt (a refresh allocates little else of its own). */
  private readonly counted = (): void => this.host.requested(this);
  private readonly cacheWriteFailed = (error: unknown): void => cacheWriteFailed(this.host.logger, this.config.id, error);
  /** The last state emitted; null before the first event. */
  emitted: ProfileState | null = null;
  /** Whether the last status emitted was inside the failing lead window (failingWithinLead). */
  emittedWarning = false;

  constructor(
    private config: ProfileConfig,
    private readonly host: RefresherHost,
    /** Upstream requests for this profile id; the engine's, so they outlive this refresher (a lock, a restart). */
    readonly requests: RequestCounter,
  ) {}

  get id(): string {
    return this.config.id;
  }

  get profile(): ProfileConfig {
    return this.config;
  }

  get phase(): Phase {
    return this.phaseNow;
  }

  get paused(): boolean {
    return this.config.paused === true;
  }

  get token(): Token | null {
    return this.current;
  }

  // ---------------------------------------------------------------- reading

  /** The current token if the cache has been read and it is valid at `now`; never waits. */
  peek(now: number): Token | null {
    const token = this.current;
    return token !== null && isValid(token, now) ? token : null;
  }

  state(now: number): ProfileState {
    const phase = this.phaseNow;
    return stateAt(
      {
        paused: this.paused,
        refreshing: phase.kind === 'refreshing',
        stopped: phase.kind === 'stopped',
        token: this.current,
        refreshAt: this.refreshAt,
        failing: this.failure !== null,
        leadMs: this.host.leadMs(),
      },
      now,
    );
  }

  /** Whether refreshing fails with the token's expiry within the lead time. */
  warning(now: number): boolean {
    return failingWithinLead({ failing: this.failure !== null, token: this.current, leadMs: this.host.leadMs() }, now);
  }

  /** A status at `now`; reading it changes nothing. */
  status(now: number, nextAttemptAt: number | null, state: ProfileState = this.state(now)): ProfileStatus {
    return toProfileStatus({
      profile: this.config,
      state,
      token: this.current,
      tokenTimes: this.currentTimes,
      lastRefreshAt: this.lastRefreshAt,
      nextAttemptAt,
      failure: this.lastFailure(),
      requestsLastHour: this.requests.lastHour(now),
      requestsLastDay: this.requests.lastDay(now),
    });
  }

  /** The newer of the last refresh failure and the API's refusal of the token. */
  private lastFailure(): { error: TokentrayError; at: number } | null {
    const refresh = this.failure === null ? null : { error: this.failure, at: this.failureAt };
    const api = this.apiFailure;
    if (api === null) return refresh;
    return refresh === null || api.at >= refresh.at ? api : refresh;
  }

  /** Records the API's verdict on the token; true when what the status shows changed. */
  noteApiAnswer(error: TokentrayError | null, now: number): boolean {
    if (error === null) {
      if (this.apiFailure === null) return false;
      this.apiFailure = null;
      return true;
    }
    this.apiFailure = { error, at: now };
    return true;
  }

  /**
   * When the next automatic attempt is due, or null when none will be made by time alone (paused,
   * in flight, credentials rejected, removed, or a valid token that never expires).
   */
  attemptAt(now: number): number | null {
    const phase = this.phaseNow;
    if (this.paused || (phase.kind !== 'idle' && phase.kind !== 'backing-off')) return null;
    const notBefore = phase.kind === 'backing-off' ? phase.retryAt : now;
    if (!isValid(this.current, now)) return Math.max(now, notBefore);
    return this.refreshAt === null ? null : Math.max(this.refreshAt, notBefore);
  }

  /**
   * The next moment this profile needs a look by time alone (attempt or state boundary); null: none.
   * `attemptAt` is this.attemptAt(now), when the caller has it already.
   */
  wakeAt(now: number, attemptAt: number | null = this.attemptAt(now)): number | null {
    const phase = this.phaseNow;
    if (this.paused || phase.kind === 'refreshing' || phase.kind === 'removed') return null;
    const attempt = attemptAt ?? Number.POSITIVE_INFINITY;
    const next = Math.min(attempt, nextBoundary(this.current, this.refreshAt, this.host.leadMs(), now));
    return Number.isFinite(next) ? next : null;
  }

  // ---------------------------------------------------------------- the keychain cache

  /** Reads the cached token once; concurrent callers share the read. */
  loadCache(): Promise<void> {
    const cache = this.cache;
    if (cache === 'read') return Promise.resolve();
    if (cache !== 'unread') return cache;
    const config = this.config;
    // A shared-only profile keeps nothing in the vault: a CI runner needs no vault at all (SPEC 8).
    if (config.sharedOnly === true) {
      this.cache = 'read';
      return Promise.resolve();
    }
    const reading = this.host.vault.getCachedToken(config.id).then(
      (token) => {
        // A token read for settings that have changed since, or after a new one arrived, is stale.
        if (token !== null && this.config === config && this.current === null && isValid(token, this.host.clock.now())) {
          this.hold(token);
        }
      },
      (error: unknown) => {
        this.host.logger.warn('could not read the cached token', { profile: config.id, kind: toTokentrayError(error).kind });
      },
    );
    this.cache = reading.then(() => {
      this.cache = 'read';
    });
    return this.cache;
  }

  get cacheRead(): boolean {
    return this.cache === 'read';
  }

  // ---------------------------------------------------------------- demands

  /**
   * A valid token, after a refresh if needed. `plannedAttemptAt` is when a scheduler will try anyway:
   * a demand during backoff waits for that retry instead of adding requests (no storms); with no
   * scheduler, nobody else will try, so the demand goes upstream itself.
   */
  async demand(waitMs: number, plannedAttemptAt: number | null): Promise<Token> {
    await this.loadCache();
    const now = this.host.clock.now();
    const ready = this.peek(now);
    if (ready !== null) return ready;
    const phase = this.phaseNow;
    if (phase.kind === 'removed') throw removedError(this.config.id);
    if (this.paused) {
      throw new TokentrayError('paused', `Profile "${this.config.id}" is paused and has no valid token.`, {
        hint: `Resume it (tray menu, dashboard, or the API) to refresh its token.`,
      });
    }
    // A rejected credential never goes upstream on an automatic or API demand (docs/refreshing.md).
    if (phase.kind === 'stopped') throw phase.error;
    if (phase.kind !== 'refreshing') {
      const waitsForRetry = phase.kind === 'backing-off' && plannedAttemptAt !== null && plannedAttemptAt > now;
      if (!waitsForRetry) this.attempt();
      else if (plannedAttemptAt - now > waitMs) throw this.noValidToken(now);
    }
    return this.waitForOutcome(waitMs);
  }

  /** A person asked: a credential stop and the backoff no longer hold them back (docs/refreshing.md). */
  async refreshNow(): Promise<Token> {
    await this.loadCache();
    if (this.phaseNow.kind === 'removed') throw removedError(this.config.id);
    this.transition({ type: 'reset' });
    return this.attempt(true);
  }

  /** Marks the current token unusable (the API answered 401): the next demand refreshes. */
  invalidate(): void {
    if (this.current === null) return;
    this.drop();
    this.host.changed(this, false);
  }

  // ---------------------------------------------------------------- profile changes

  /**
   * Applies a profile saved here (explicit: a person saved it, which also lifts a credential stop) or
   * written by another process. New settings drop the old token, request and stop; new secrets with
   * the same settings keep serving the current token and make a refresh due now.
   */
  reconfigure(profile: ProfileConfig, how: { secretsChanged: boolean; explicit: boolean }): ProfileChange {
    const before = this.config;
    const changed = JSON.stringify(profile) !== JSON.stringify(before);
    const stopped = this.phaseNow.kind === 'stopped';
    if (!changed && !how.secretsChanged && !(how.explicit && stopped)) return 'none';
    this.config = profile;
    if (changed && !how.secretsChanged && sameApartFromPause(before, profile) && (before.paused ?? false) !== (profile.paused ?? false)) {
      this.host.changed(this, false);
      return profile.paused === true ? 'paused' : 'resumed';
    }
    if (changed) {
      // New settings (a scope added, say) make the API's old verdict on the old token moot.
      this.apiFailure = null;
      this.transition({ type: 'cancel', error: null });
      this.cache = 'read';
      this.drop();
    }
    this.transition({ type: 'reset' });
    if (how.secretsChanged && !changed && this.current !== null) this.refreshAt = this.host.clock.now();
    // A demand left waiting on the cancelled request gets one made with the new settings.
    if (this.waiters !== null && !this.paused) this.attempt();
    else this.host.changed(this, false);
    return changed ? 'updated' : 'reset';
  }

  /** The profile is gone: its request is aborted and every waiting demand fails. */
  remove(): void {
    this.transition({ type: 'remove', error: removedError(this.config.id) });
  }

  /** The engine stops: abandon the request in flight and fail the waiting demands. */
  halt(error: TokentrayError): void {
    this.transition({ type: 'cancel', error });
  }

  // ---------------------------------------------------------------- refreshing

  /** Starts an upstream request unless one is in flight (single flight); resolves with its token. */
  attempt(forced = false): Promise<Token> {
    const phase = this.phaseNow;
    if (phase.kind === 'refreshing') return phase.attempt;
    if (phase.kind === 'removed') return Promise.reject(removedError(this.config.id));
    if (this.controller.signal.aborted) this.controller = new AbortController();
    const controller = this.controller;
    this.attempts += 1;
    const seq = this.attempts;
    const attempt = this.run(seq, forced, controller.signal);
    // Callers may not await it (a background refresh); the outcome is handled in run() either way.
    attempt.catch(ignore);
    this.transition({ type: 'attempt', attempt, seq, controller });
    return attempt;
  }

  /** One attempt: asks the host for a token, then moves the phase on if it is still the attempt in flight. */
  private async run(seq: number, forced: boolean, signal: AbortSignal): Promise<Token> {
    let token: Token;
    try {
      token = await this.host.obtain(this.config, { current: this.current, forced, signal, counted: this.counted });
    } catch (error) {
      const failure = toTokentrayError(error);
      if (this.isCurrent(seq)) this.transition({ type: 'failed', error: failure });
      throw failure;
    }
    if (!isValid(token, this.host.clock.now())) {
      // Never hand out an expired token, and refreshing again at once would loop: back off instead.
      const failure = new TokentrayError('bad_response', 'The token endpoint returned a token that has already expired.', {
        hint: "Check this computer's clock and the token lifetime the server sets.",
      });
      if (this.isCurrent(seq)) this.transition({ type: 'failed', error: failure });
      throw failure;
    }
    if (this.isCurrent(seq)) this.transition({ type: 'succeeded', token });
    return token;
  }

  private isCurrent(seq: number): boolean {
    const phase = this.phaseNow;
    return phase.kind === 'refreshing' && phase.seq === seq;
  }

  /** The one place a phase changes, with what each change implies. */
  private transition(event: PhaseEvent): void {
    const host = this.host;
    const id = this.config.id;
    const phase = this.phaseNow;
    if (phase.kind === 'removed') return;
    switch (event.type) {
      case 'attempt': {
        const failures = phase.kind === 'backing-off' ? phase.failures : 0;
        this.phaseNow = { kind: 'refreshing', attempt: event.attempt, seq: event.seq, controller: event.controller, failures };
        host.changed(this, false);
        return;
      }
      case 'succeeded': {
        const recovered = this.failure !== null;
        const token = event.token;
        this.phaseNow = IDLE;
        this.failure = null;
        this.lastRefreshAt = host.clock.now();
        this.hold(token);
        this.cache = 'read';
        // Cached so restarts and CLI runs reuse it; a keychain failure here only costs a request later.
        if (this.config.sharedOnly !== true) host.vault.setCachedToken(id, token).catch(this.cacheWriteFailed);
        this.settle(token);
        const expires = this.currentTimes?.expiresAt ?? null;
        host.record('refreshed', id, expires === null ? 'never expires' : `expires ${expires}`);
        if (recovered) host.record('recovered', id);
        host.logger.info('token refreshed', { profile: id });
        host.changed(this, recovered);
        return;
      }
      case 'failed': {
        const now = host.clock.now();
        const error = event.error;
        this.failure = error;
        this.failureAt = now;
        if (error.isCredentialError) {
          // Retrying cannot help; wait for a profile change or a person (docs/refreshing.md).
          this.phaseNow = { kind: 'stopped', error };
          host.record('credentials-rejected', id, error.message);
          host.logger.warn('credentials rejected; refreshing stopped', { profile: id, kind: error.kind });
          this.settle(this.peek(now) ?? error);
        } else {
          const failures = (phase.kind === 'refreshing' ? phase.failures : 0) + 1;
          const retryAt = retryTime(this.current, failures, error.retryAfterMs, now, host.backoff, host.random);
          this.phaseNow = { kind: 'backing-off', retryAt, failures };
          host.record('refresh-failed', id, `${error.message} Retrying in ${Math.round((retryAt - now) / 1000)} s.`);
          host.logger.warn('refresh failed', { profile: id, kind: error.kind, retryInMs: retryAt - now });
          this.settle(this.peek(now) ?? this.noValidToken(now));
        }
        host.changed(this, false);
        return;
      }
      case 'reset': {
        if (phase.kind === 'backing-off' || phase.kind === 'stopped') this.phaseNow = IDLE;
        return;
      }
      case 'cancel':
      case 'remove': {
        if (phase.kind === 'refreshing') phase.controller.abort();
        this.phaseNow = event.type === 'remove' ? { kind: 'removed' } : phase.kind === 'refreshing' ? IDLE : phase;
        if (event.error !== null) this.settle(event.error);
        return;
      }
    }
  }

  private hold(token: Token): void {
    this.current = token;
    this.currentTimes = tokenTimesOf(token);
    this.refreshAt = refreshPoint(token, this.host.rules, () => this.host.refreshDraw(token));
  }

  private drop(): void {
    this.current = null;
    this.currentTimes = null;
    this.refreshAt = null;
    const id = this.config.id;
    if (this.config.sharedOnly === true) return;
    this.host.vault.setCachedToken(id, null).catch(this.cacheWriteFailed);
  }

  // ---------------------------------------------------------------- waiting demands

  private waitForOutcome(waitMs: number): Promise<Token> {
    return new Promise<Token>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: null };
      if (Number.isFinite(waitMs)) {
        waiter.timer = this.host.clock.setTimeout(() => {
          const list = this.waiters;
          const at = list?.indexOf(waiter) ?? -1;
          if (list !== null && at >= 0) list.splice(at, 1);
          if (list !== null && list.length === 0) this.waiters = null;
          reject(this.noValidToken(this.host.clock.now()));
        }, waitMs);
      }
      (this.waiters ??= []).push(waiter);
    });
  }

  private settle(outcome: Token | TokentrayError): void {
    const waiters = this.waiters;
    if (waiters === null) return;
    this.waiters = null;
    for (const waiter of waiters) {
      if (waiter.timer !== null) this.host.clock.clearTimeout(waiter.timer);
      if (outcome instanceof TokentrayError) waiter.reject(outcome);
      else waiter.resolve(outcome);
    }
  }

  /** What a demand gets when no valid token can be had in time: the last failure, in its words. */
  private noValidToken(now: number): TokentrayError {
    const last = this.failure;
    const id = this.config.id;
    const phase = this.phaseNow;
    const retry = phase.kind === 'backing-off' && phase.retryAt > now ? ` The next attempt is at ${new Date(phase.retryAt).toISOString()}.` : '';
    return new TokentrayError(
      'no_valid_token',
      last === null ? `No valid token for profile "${id}" could be had in time.${retry}` : `No valid token for profile "${id}": ${last.message}${retry}`,
      {
        hint: last?.hint ?? 'Check the token endpoint is reachable, then refresh the profile.',
        ...(last?.status !== undefined ? { status: last.status } : {}),
        ...(last?.retryAfterMs !== undefined ? { retryAfterMs: last.retryAfterMs } : {}),
        ...(last !== null ? { cause: last } : {}),
      },
    );
  }
}

/** The stored secrets of a profile, with the given ones taking precedence (an edit may leave one blank). */
export async function readSecrets(vault: Vault, profile: ProfileConfig, given: ProfileSecrets): Promise<ProfileSecrets> {
  const secrets: ProfileSecrets = { ...given };
  for (const field of secretFieldsOf(profile)) {
    if (secrets[field] !== undefined && secrets[field] !== '') continue;
    const value = await vault.getSecret(profile.id, field);
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

/**
 * The secret fields of a profile config, worked out once per config object: every refresh reads the
 * secrets, and a config is replaced, never changed, when the profile is edited.
 */
const secretFields = new WeakMap<ProfileConfig, readonly SecretField[]>();

function secretFieldsOf(profile: ProfileConfig): readonly SecretField[] {
  let fields = secretFields.get(profile);
  if (fields === undefined) {
    fields = secretFieldsFor(profile);
    secretFields.set(profile, fields);
  }
  return fields;
}

function ignore(): void {}

function removedError(id: string): TokentrayError {
  return new TokentrayError('not_found', `The profile "${id}" was removed.`);
}

function cacheWriteFailed(logger: Logger, id: string, error: unknown): void {
  logger.warn('could not update the cached token in the keychain', { profile: id, kind: toTokentrayError(error).kind });
}

function sameApartFromPause(a: ProfileConfig, b: ProfileConfig): boolean {
  const strip = ({ paused: _p, updatedAt: _u, ...rest }: ProfileConfig) => JSON.stringify(rest);
  return strip(a) === strip(b);
}
