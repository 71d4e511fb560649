// The wire shape of a token (SPEC section 4, GET /v1/profiles/{id}/token), shared by the loopback API
// and the dashboard's RPC so both answer exactly the same fields.
import type { TokenResponse } from '../../../common/contract.js';
import type { Token } from '../types.js';

export function toTokenResponse(token: Token, now: number): TokenResponse {
  return {
    access_token: token.accessToken,
    token_type: token.tokenType,
    expires_at: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
    // Whole seconds left, rounded down so a caller never believes in a second that does not exist.
    expires_in: token.expiresAt === null ? null : Math.max(0, Math.floor((token.expiresAt - now) / 1000)),
    scope: token.scope ?? null,
  };
}
