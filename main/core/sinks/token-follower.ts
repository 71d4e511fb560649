// Follows one profile's token in a running engine for the things that copy it out of the process
// (token files, `tokentray run`): each new token once, and "gone" the moment the current one stops
// being valid (lifetime.ts's validUntil, the same rule that stops the engine handing it out), whether
// or not the engine has anything to say then: a refresh that hangs past expiry emits no event.
import type { ProfileStatus } from '../../../common/contract.js';
import type { Clock, TimerHandle } from '../clock.js';
import { isValid, validUntil } from '../engine/lifetime.js';
import type { Engine, Token } from '../types.js';

export type TokenChange = { kind: 'token'; token: Token } | { kind: 'gone'; reason: string };

export interface TokenFollower {
  /** Looks again now (after a profile or sink change). */
  check(): void;
  stop(): void;
}

export interface FollowOptions {
  /** Recorded as the consumer of each token handed out (SPEC section 4's activity log). */
  client: string;
}

/** Calls `listener` with the current state at once, then on every change until stop(). */
export function followToken(engine: Engine, clock: Clock, profileId: string, options: FollowOptions, listener: (change: TokenChange) => void): TokenFollower {
  // What was last told: the token's identity (obtained and expiry times), 'gone', or nothing yet.
  let told: string | null = null;
  let timer: TimerHandle | null = null;
  let stopped = false;

  const clearTimer = (): void => {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  };

  const check = (): void => {
    if (stopped) return;
    const status = engine.status(profileId);
    const now = clock.now();
    const facts = status === undefined ? null : tokenFacts(status);
    if (facts !== null && isValid(facts, now)) {
      const key = `${facts.obtainedAt}/${facts.expiresAt ?? ''}`;
      if (key === told) return;
      const token = engine.peekToken(profileId, { client: options.client });
      if (token !== null) {
        told = key;
        clearTimer();
        const until = validUntil(token);
        if (Number.isFinite(until)) timer = clock.setTimeout(check, Math.max(0, until - now));
        listener({ kind: 'token', token });
        return;
      }
    }
    if (told === 'gone') return;
    told = 'gone';
    clearTimer();
    listener({ kind: 'gone', reason: goneReason(status, facts !== null) });
  };

  const unsubscribe = engine.onDidChangeState((event) => {
    if ((event.type === 'profile' && event.status.id === profileId) || (event.type === 'profile-removed' && event.id === profileId)) check();
  });
  check();
  return {
    check,
    stop() {
      stopped = true;
      clearTimer();
      unsubscribe();
    },
  };
}

/** The token's times as the status gives them: enough for the one validity rule, never the token. */
function tokenFacts(status: ProfileStatus): Token | null {
  if (status.obtainedAt === null) return null;
  return {
    accessToken: '',
    tokenType: '',
    headers: {},
    obtainedAt: Date.parse(status.obtainedAt),
    expiresAt: status.expiresAt === null ? null : Date.parse(status.expiresAt),
  };
}

function goneReason(status: ProfileStatus | undefined, hadToken: boolean): string {
  if (status === undefined) return 'the profile no longer exists';
  const failing = status.lastError === null ? '' : `; refreshing keeps failing: ${status.lastError.message}`;
  if (hadToken) return `the token expired${failing}`;
  if (status.state === 'paused') return 'the profile is paused and has no valid token';
  return `no valid token yet${failing}`;
}
