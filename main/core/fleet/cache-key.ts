// Which credential a profile holds, as the fleet names it (docs/shared-cache.md): machines whose
// profiles have other ids but the same credential share one record, and any difference that changes
// the token (audience, scope, extra parameters) makes another key. Defaults are applied first, so a
// profile that writes the seed's token URL out shares with one that leaves it blank.
import { createHash } from 'node:crypto';
import type { ResolvedProfile } from '../types.js';

/** Every Redis key Tokentray uses starts with this, so an ACL can limit a user to `~tokentray:*`. */
export const KEY_PREFIX = 'tokentray:';

function normalUrl(value: string | undefined): string {
  if (value === undefined || value.trim() === '') return '';
  try {
    return new URL(value.trim()).href.replace(/\/+$/, '');
  } catch {
    return value.trim();
  }
}

/**
 * The hex sha256 of the credential's identity, or null for a profile that shares nothing: Basic
 * credentials need no request, so there is nothing to share (and nothing to spare the provider).
 */
export function cacheKeyOf(profile: ResolvedProfile): string | null {
  if (profile.provider === 'sendcloud-basic') return null;
  const cookie = profile.provider === 'camunda-operate-cookie';
  const extra = Object.entries(profile.extraParams ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const identity = [
    'tokentray-cache-key-v1',
    profile.provider,
    normalUrl(cookie ? profile.baseUrl : profile.tokenUrl),
    (cookie ? profile.username : profile.clientId) ?? '',
    profile.audience ?? '',
    profile.scope ?? '',
    extra,
  ];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** The Redis keys of one credential; the hash tag keeps them in one slot of a Redis Cluster. */
export function redisKeys(cacheKey: string): { token: string; lock: string; stop: string; cool: string; count: string } {
  const base = `${KEY_PREFIX}{${cacheKey}}:`;
  return { token: `${base}token`, lock: `${base}lock`, stop: `${base}stop`, cool: `${base}cool`, count: `${base}count` };
}
