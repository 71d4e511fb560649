// Applies the provider's seed defaults to a stored profile; what the profile sets wins.
import type { ProfileConfig } from '../../common/contract.js';
import { COMMON_DEFAULTS, PROVIDERS } from '../../common/providers.js';
import type { ResolvedProfile } from './types.js';

export function resolveProfile(profile: ProfileConfig): ResolvedProfile {
  const defaults = PROVIDERS[profile.provider].defaults;
  const resolved: ResolvedProfile = { ...COMMON_DEFAULTS, ...defaults, ...profile };
  // A blank field in a form means "use the default", never "send an empty value".
  for (const [key, value] of Object.entries(profile)) {
    if (value === undefined || value === '') {
      const fallback = (defaults as Record<string, unknown>)[key] ?? (COMMON_DEFAULTS as Record<string, unknown>)[key];
      (resolved as Record<string, unknown>)[key] = fallback;
    }
  }
  return resolved;
}
