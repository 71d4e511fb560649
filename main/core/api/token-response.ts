// The wire shape of a token (SPEC section 4, GET /v1/profiles/{id}/token), shared by the loopback API
// and the dashboard's RPC so both answer exactly the same fields.
import type { TokenResponse } from '../../../common/contract.js';
import type { Token } from '../types.js';

export function toTokenResponse(token: Token, now: number): TokenResponse {
  return {
    access_token: token.accessToken,
    token_type: token.tokenType,
    expires_at: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
    expires_in: expiresIn(token, now),
    scope: token.scope ?? null,
  };
}

// Whole seconds left, rounded down so a caller never believes in a second that does not exist.
function expiresIn(token: Token, now: number): number | null {
  return token.expiresAt === null ? null : Math.max(0, Math.floor((token.expiresAt - now) / 1000));
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
  const seconds = expiresIn(token, now);
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
