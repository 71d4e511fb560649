// What the vault keeps for a fleet joined in the dashboard (docs/shared-cache.md, "Joining from the
// dashboard"): the Redis password and the fleet key, never config.json. Only the setting
// `sharedCache` reads them; a URL from --shared-cache or TOKENTRAY_SHARED_CACHE brings its own.
import type { Vault } from '../../core/types.js';

/**
 * Vault entry names: upper case, so no profile's entries (`<profile id>:<field>`, ids being lower
 * case) can ever collide with them, nor be removed with a profile.
 */
export const FLEET_PASSWORD_ACCOUNT = 'FLEET:redis-password';
export const FLEET_KEY_ACCOUNT = 'FLEET:key';
export const FLEET_ACCOUNTS: readonly string[] = [FLEET_PASSWORD_ACCOUNT, FLEET_KEY_ACCOUNT];

export interface VaultedFleet {
  /** The Redis password saved for exactly this location (user, host, port, database), else null. */
  password: string | null;
  /** The fleet key as saved (checked when used), else null. */
  key: string | null;
}

type ItemVault = Pick<Vault, 'getItem' | 'setItem' | 'deleteItem'>;

/**
 * The password is kept with the location it was given for, so a setting pointed at another Redis
 * never sends it there (as a profile's secret never follows a changed token URL).
 */
export async function readVaultedFleet(vault: ItemVault, location: string): Promise<VaultedFleet> {
  const [kept, key] = await Promise.all([vault.getItem(FLEET_PASSWORD_ACCOUNT), vault.getItem(FLEET_KEY_ACCOUNT)]);
  return { password: passwordFor(kept, location), key: key === null || key === '' ? null : key };
}

function passwordFor(kept: string | null, location: string): string | null {
  if (kept === null) return null;
  try {
    const value = JSON.parse(kept) as { location?: unknown; password?: unknown } | null;
    return value !== null && value.location === location && typeof value.password === 'string' && value.password !== '' ? value.password : null;
  } catch {
    // Not ours to repair: a damaged entry is ignored and replaced by the next join.
    return null;
  }
}

/** Saves what a join needs; a null password or key removes the entry (none is needed). */
export async function saveVaultedFleet(vault: ItemVault, location: string, fleet: VaultedFleet): Promise<void> {
  if (fleet.password === null) await vault.deleteItem(FLEET_PASSWORD_ACCOUNT);
  else await vault.setItem(FLEET_PASSWORD_ACCOUNT, JSON.stringify({ location, password: fleet.password }));
  if (fleet.key === null) await vault.deleteItem(FLEET_KEY_ACCOUNT);
  else await vault.setItem(FLEET_KEY_ACCOUNT, fleet.key);
}

export async function forgetVaultedFleet(vault: ItemVault): Promise<void> {
  for (const account of FLEET_ACCOUNTS) await vault.deleteItem(account);
}
