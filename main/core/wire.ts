// Domain objects become contract objects here and nowhere else (docs/http-api.md): the token answer
// shared by the loopback API, the dashboard's RPC and the CLI, a profile's status, the client key's
// public record, and the one rounding of expires_in that every surface (API, relay, profile test) uses.
import type { ClientKeyInfo, ProfileConfig, ProfileState, ProfileStatus, TokenResponse } from '../../common/contract.js';
import type { TokentrayError } from './errors.js';
import { isoTime } from './engine/iso-time.js';
import { validUntil } from './engine/lifetime.js';
import type { ClientKeyRecord, Token } from './types.js';

export function toTokenResponse(token: Token, now: number): TokenResponse {
  return {
    access_token: token.accessToken,
    token_type: token.tokenType,
    expires_at: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
    expires_in: secondsLeft(token, now),
    scope: token.scope ?? null,
  };
}

/** Whole seconds left, rounded down so a caller never believes in a second that does not exist. */
export function secondsLeft(token: Pick<Token, 'expiresAt'>, now: number): number | null {
  return token.expiresAt === null ? null : Math.max(0, Math.floor((token.expiresAt - now) / 1000));
}

export function toClientInfo(record: ClientKeyRecord): ClientKeyInfo {
  return {
    name: record.name,
    profiles: record.profiles === null ? null : [...record.profiles],
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
  };
}

interface Serialized {
  accessToken: string;
  tokenType: string;
  expiresAt: number | null;
  scope: string | undefined;
  expiresIn: number | null;
  json: string;
}

const serialized = new WeakMap<Token, Serialized>();

/**
 * JSON.stringify(toTokenResponse(token, now)), byte for byte. The loopback API answers the same
 * token many times a second and only expires_in moves (once a second), so the text is kept per token
 * and rebuilt when expires_in or any field it was made from differs.
 */
export function tokenResponseJson(token: Token, now: number): string {
  const seconds = secondsLeft(token, now);
  const cached = serialized.get(token);
  if (
    cached !== undefined &&
    cached.expiresIn === seconds &&
    cached.accessToken === token.accessToken &&
    cached.tokenType === token.tokenType &&
    cached.expiresAt === token.expiresAt &&
    cached.scope === token.scope
  ) {
    return cached.json;
  }
  const json = JSON.stringify(toTokenResponse(token, now));
  serialized.set(token, {
    accessToken: token.accessToken,
    tokenType: token.tokenType,
    expiresAt: token.expiresAt,
    scope: token.scope,
    expiresIn: seconds,
    json,
  });
  return json;
}

/** What the engine knows of a profile at one moment, in its own terms (epoch ms, errors as values). */
export interface StatusFacts {
  profile: Pick<ProfileConfig, 'id' | 'name' | 'provider'>;
  state: ProfileState;
  token: Token | null;
  /** The token's times, when the caller keeps them formatted (else they are formatted here). */
  tokenTimes?: TokenTimes | null;
  lastRefreshAt: number | null;
  nextAttemptAt: number | null;
  failure: { error: TokentrayError; at: number } | null;
  requestsLastHour: number;
  requestsLastDay: number;
}

/** A token's own times in ISO form, as statuses and the activity log show them. */
export interface TokenTimes {
  expiresAt: string | null;
  /** The last moment the engine hands the token out (lifetime.ts); null when it never expires. */
  validUntil: string | null;
  obtainedAt: string;
}

export function tokenTimesOf(token: Token): TokenTimes {
  return {
    expiresAt: token.expiresAt === null ? null : isoTime(token.expiresAt),
    validUntil: token.expiresAt === null ? null : isoTime(validUntil(token)),
    obtainedAt: isoTime(token.obtainedAt),
  };
}

/** GET /v1/profiles entries and the dashboard rows: ISO times, no secrets, no tokens. */
export function toProfileStatus(facts: StatusFacts): ProfileStatus {
  const { token } = facts;
  const times = token === null ? null : (facts.tokenTimes ?? tokenTimesOf(token));
  const { lastRefreshAt } = facts;
  return {
    id: facts.profile.id,
    name: facts.profile.name,
    provider: facts.profile.provider,
    state: facts.state,
    expiresAt: times?.expiresAt ?? null,
    validUntil: times?.validUntil ?? null,
    obtainedAt: times?.obtainedAt ?? null,
    // The last refresh is usually the moment the current token was obtained.
    lastRefreshAt:
      lastRefreshAt === null ? null : times !== null && lastRefreshAt === token?.obtainedAt ? times.obtainedAt : isoTime(lastRefreshAt),
    nextRefreshAt: facts.nextAttemptAt === null ? null : isoTime(facts.nextAttemptAt),
    lastError: facts.failure === null ? null : facts.failure.error.toInfo(new Date(facts.failure.at)),
    requestsLastHour: facts.requestsLastHour,
    requestsLastDay: facts.requestsLastDay,
  };
}
