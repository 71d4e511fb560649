// A token endpoint's answer, validated before it becomes a Token (docs/providers.md): an answer without
// access_token, or with a negative, zero or non-numeric expires_in, is an error, never a token.
// The subpath: the package root loads all of jose (some fifty modules), a cost on every CLI start.
import { decodeJwt } from 'jose/jwt/decode';
import { z } from 'zod';
import { TokentrayError } from '../errors.js';
import type { ResolvedProfile, Token } from '../types.js';

/** expires_in as a number, or as a numeric string ("3600"), which some servers send. */
const expiresInSchema = z
  .union([z.number(), z.string().trim().regex(/^\d+(\.\d+)?$/).transform(Number)])
  .pipe(z.number().finite().positive());

export const tokenAnswerSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  // null is treated like absent: some servers send "expires_in": null for non-expiring tokens.
  expires_in: expiresInSchema.nullish(),
  scope: z.string().optional(),
});
export type TokenAnswer = z.infer<typeof tokenAnswerSchema>;

export type LifetimeSource = 'expires_in' | 'jwt' | 'default';

export interface Lifetime {
  /** Milliseconds from now until the token stops being valid. */
  lifetimeMs: number;
  source: LifetimeSource;
}

const BAD_ANSWER_HINT = 'Check the token URL: it should point at the OAuth token endpoint.';

/** Parses an answer that is already JSON; throws bad_response with plain words when it is not a token. */
export function parseTokenAnswer(value: unknown, host: string): TokenAnswer {
  const result = tokenAnswerSchema.safeParse(value);
  if (result.success) return result.data;
  const field = result.error.issues[0]?.path[0];
  if (field === 'expires_in') {
    return fail(`${host} answered with an invalid expires_in (it must be a positive number of seconds).`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail(`${host} answered with JSON that is not a token object.`);
  }
  return fail(`${host} answered without an access_token.`);
}

function fail(message: string): never {
  throw new TokentrayError('bad_response', message, { hint: BAD_ANSWER_HINT });
}

/**
 * The token's lifetime: expires_in when present, else the JWT exp claim (decoded with jose, never by
 * hand), else the profile's default. A JWT's exp - iat is used when iat is there, so a clock that
 * differs between this machine and the provider does not shorten or stretch the lifetime.
 */
export function lifetimeOf(answer: TokenAnswer, profile: ResolvedProfile, now: number): Lifetime {
  if (answer.expires_in !== undefined && answer.expires_in !== null) {
    return { lifetimeMs: answer.expires_in * 1000, source: 'expires_in' };
  }
  const claims = jwtClaims(answer.access_token);
  if (claims && typeof claims.exp === 'number') {
    const lifetimeMs =
      typeof claims.iat === 'number' && claims.exp > claims.iat ? (claims.exp - claims.iat) * 1000 : claims.exp * 1000 - now;
    if (lifetimeMs <= 0) {
      throw new TokentrayError('bad_response', 'The provider answered with a token that has already expired.', {
        hint: "Check this computer's clock and the provider's token lifetime settings.",
      });
    }
    return { lifetimeMs, source: 'jwt' };
  }
  return { lifetimeMs: (profile.defaultLifetimeSec ?? 3600) * 1000, source: 'default' };
}

function jwtClaims(token: string): { exp?: unknown; iat?: unknown } | null {
  if (token.split('.').length !== 3) return null;
  try {
    return decodeJwt(token);
  } catch {
    return null; // an opaque token that merely looks like a JWT
  }
}

/** A Bearer token from a validated answer. */
export function bearerToken(answer: TokenAnswer, profile: ResolvedProfile, now: number): Token {
  const { lifetimeMs } = lifetimeOf(answer, profile, now);
  const token: Token = {
    accessToken: answer.access_token,
    // Sendcloud answers "bearer" (seed 004); the header always uses the canonical spelling.
    tokenType: 'Bearer',
    headers: { Authorization: `Bearer ${answer.access_token}` },
    obtainedAt: now,
    expiresAt: now + Math.floor(lifetimeMs),
  };
  const scope = answer.scope ?? profile.scope;
  if (scope) token.scope = scope;
  return token;
}
