// Joining and leaving a fleet while the app runs (the dashboard's fleet panel). The host implements
// it: checking the URL and key, keeping the password and key in the vault, connecting, and handing
// the new cache to the engine; the core only passes the verbs through.
import type { FleetJoin, FleetSource } from '../../../common/contract.js';

export interface FleetSettings {
  /** Where the running app's shared cache comes from, or null when it has none. */
  source(): FleetSource | null;
  /**
   * Checks, connects, then saves (the password and key to the vault, the URL without its password
   * to the setting) and shares through it from now on. Refused, changing nothing, when the cache
   * comes from the command line or the environment, or when Redis refuses the password.
   */
  join(input: FleetJoin): Promise<void>;
  /** Stops sharing and forgets the setting and what the vault kept for it. */
  leave(): Promise<void>;
}
