// What `tokentray shared-cache status` prints and the dashboard's fleet panel shows (SPEC section
// 8), built in one place: the URL without its password, whether Redis answers, the key id, and per
// profile what the fleet holds. Never a token, a secret or a record's content.
import type { FleetProfileInfo, FleetStatusInfo, ProfileConfig } from '../../../common/contract.js';
import type { Clock } from '../clock.js';
import { resolveProfile } from '../profiles.js';
import type { FleetTokens, FleetView } from './fleet-tokens.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function profileInfo(profile: ProfileConfig, view: FleetView | null, error: string | null): FleetProfileInfo {
  return {
    id: profile.id,
    sharedOnly: profile.sharedOnly === true,
    shared: view === null ? null : view.cacheKey !== null,
    token: view?.token == null ? null : { expiresAt: iso(view.token.expiresAt), obtainedAt: iso(view.token.obtainedAt) as string },
    unreadable: view?.unreadable ?? null,
    lockMs: view?.lockMs ?? null,
    stop: view?.stop ?? null,
    coolUntil: iso(view?.coolUntil ?? null),
    counts: view?.counts ?? null,
    error,
  };
}

/** Reads Redis once per profile (a person's look, never a demand); a profile Redis fails on says why. */
export async function describeFleet(fleet: FleetTokens | null, profiles: readonly ProfileConfig[], clock: Clock): Promise<FleetStatusInfo> {
  if (fleet === null) return { configured: false, location: null, state: null, reason: null, keyId: null, previousKeyId: null, unreadable: null, profiles: [] };
  const cache = fleet.sharedCache;
  const connected = cache.health().state === 'connected';
  const rows = await Promise.all(
    profiles.map(async (profile) => {
      if (!connected) return profileInfo(profile, null, null);
      try {
        return profileInfo(profile, await fleet.view(resolveProfile(profile)), null);
      } catch (error) {
        return profileInfo(profile, null, error instanceof Error ? error.message : 'Redis failed');
      }
    }),
  );
  const health = cache.health();
  return {
    configured: true,
    location: cache.location,
    state: health.state,
    reason: health.reason,
    keyId: cache.keys.current.id,
    previousKeyId: cache.keys.previous?.id ?? null,
    unreadable: { ...fleet.unreadable },
    profiles: rows,
    at: iso(clock.now()) as string,
  };
}
