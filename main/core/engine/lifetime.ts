// The time rules of docs/refreshing.md as pure functions of a token and `now`: when a token stops being
// handed out, when it is renewed, when a failed refresh is retried, and which state a profile is in.
// Nothing here reads a clock, sets a timer or keeps state, so every rule is tested with plain numbers.
import type { ProfileState } from '../../../common/contract.js';
import type { Token } from '../types.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';

/** Never treat a token as valid in its last 5 s (or last 10% of a very short lifetime). */
const MAX_SAFETY_MARGIN_MS = 5_000;
/** The "last chance" retry before expiry comes at most this long before the token stops being valid. */
const MAX_LAST_CHANCE_SLACK_MS = 30_000;

export interface RefreshRules {
  /** Renew once this fraction of the lifetime has passed (docs/refreshing.md: 75%). */
  refreshFraction: number;
  /** The refresh point moves by up to ± this fraction of the lifetime, so profiles do not align. */
  jitterFraction: number;
}

/** The last moment a token is handed out: its expiry minus a safety margin; never for no expiry. */
export function validUntil(token: Token): number {
  if (token.expiresAt === null) return Number.POSITIVE_INFINITY;
  const lifetime = Math.max(0, token.expiresAt - token.obtainedAt);
  return token.expiresAt - Math.min(MAX_SAFETY_MARGIN_MS, lifetime * 0.1);
}

/** An expired token is never handed out (docs/refreshing.md). */
export function isValid(token: Token | null, now: number): token is Token {
  return token !== null && now < validUntil(token);
}

/**
 * A jitter draw in [0, 1) fixed by the token itself, for a fleet: every machine holding the fleet's
 * token then renews at the same moment, so the first to wake takes the lock and the rest find the new
 * token, and the fleet renews as often as one machine would. With a draw of its own, each machine's
 * earliest timer would win and the fleet would renew early by the spread of the jitter. Tokens differ,
 * so profiles still do not line up. FNV-1a over the token and when it was obtained.
 */
export function sharedRefreshDraw(token: Token): number {
  let hash = 0x811c9dc5;
  const text = `${token.obtainedAt}:${token.accessToken}`;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 0x1_0000_0000;
}

/**
 * When to renew: at refreshFraction of the lifetime, moved by jitter (random() in [0, 1) is drawn once
 * per token), never after the token stops being valid; null for a token that never expires.
 */
export function refreshPoint(token: Token, rules: RefreshRules, random: () => number): number | null {
  if (token.expiresAt === null) return null;
  const lifetime = Math.max(0, token.expiresAt - token.obtainedAt);
  const jitter = (random() * 2 - 1) * rules.jitterFraction;
  const at = token.obtainedAt + lifetime * (rules.refreshFraction + jitter);
  return Math.min(at, validUntil(token));
}

/**
 * When to retry after failure number `failures`: exponential backoff (honouring Retry-After), but
 * pulled in to one last try before the current token expires, if that is no sooner than the backoff
 * floor allows. After that try fails we are inside the slack, so this never repeats into a burst.
 */
export function retryTime(
  token: Token | null,
  failures: number,
  retryAfterMs: number | undefined,
  now: number,
  backoff: BackoffOptions,
  random: () => number,
): number {
  let retryAt = now + backoffDelay(failures, backoff, random, retryAfterMs);
  if (token !== null && token.expiresAt !== null && isValid(token, now)) {
    const until = validUntil(token);
    const floor = now + Math.max(backoff.baseMs, retryAfterMs ?? 0);
    const slack = Math.min(MAX_LAST_CHANCE_SLACK_MS, (token.expiresAt - token.obtainedAt) * 0.1);
    const lastChance = until - slack;
    if (retryAt > until && lastChance > floor) retryAt = lastChance;
  }
  return retryAt;
}

/** What stateAt needs to know about a profile; the refresher's own fields, read at one moment. */
export interface StateFacts {
  paused: boolean;
  refreshing: boolean;
  /** Credentials were rejected: no attempt until the profile changes or a person asks. */
  stopped: boolean;
  token: Token | null;
  refreshAt: number | null;
  /** The last attempt failed (and nothing has succeeded since). */
  failing: boolean;
  /** The notification lead time: a failing profile this close to expiry is "expiring". */
  leadMs: number;
}

/**
 * Refreshing fails and the token expires within the lead time: the moment the desktop warns. It can
 * begin while the state stays "expiring" (past the refresh point), so the engine reports it apart.
 */
export function failingWithinLead(facts: Pick<StateFacts, 'failing' | 'token' | 'leadMs'>, now: number): boolean {
  const token = facts.token;
  return facts.failing && isValid(token, now) && token.expiresAt !== null && now >= token.expiresAt - facts.leadMs;
}

/** The state shown for a profile at `now` (docs/desktop.md's tray states). */
export function stateAt(facts: StateFacts, now: number): ProfileState {
  if (facts.paused) return 'paused';
  if (facts.refreshing) return 'refreshing';
  if (facts.stopped) return 'error';
  const token = facts.token;
  if (isValid(token, now)) {
    if (facts.refreshAt !== null && now >= facts.refreshAt) return 'expiring';
    if (failingWithinLead(facts, now)) return 'expiring';
    return 'fresh';
  }
  return facts.failing ? 'error' : 'expired';
}

/**
 * The moments a valid token changes state by time alone (refresh point, notification lead, end of
 * validity) that lie after `now`; the scheduler wakes at the earliest so state events need no poll.
 */
export function nextBoundary(token: Token | null, refreshAt: number | null, leadMs: number, now: number): number {
  if (!isValid(token, now) || token.expiresAt === null) return Number.POSITIVE_INFINITY;
  // Three comparisons rather than a loop over a new array: this runs after every refresh.
  return Math.min(after(refreshAt ?? 0, now), after(token.expiresAt - leadMs, now), after(validUntil(token), now));
}

/** `at` when it lies after `now`, else never. */
function after(at: number, now: number): number {
  return at > now ? at : Number.POSITIVE_INFINITY;
}
