// The running app's administration verbs (common/admin-verbs.ts): profiles, client keys and the
// vault, asked for by the CLI over the local socket while the app runs, so there is one writer and
// the app's unlocked vault serves the CLI too. The same services as the dashboard's verbs (rpc.ts)
// do the work, so the rules and the words are the same whichever door a change came through.
import { adminVerbSchemas, isAdminVerb, type AdminInput, type AdminOutputs, type AdminVerb, type SecretPresence } from '../../common/admin-verbs.js';
import { secretFieldsOf } from '../../common/providers.js';
import { ClientKeyService } from './clients/client-key-service.js';
import type { Clock } from './clock.js';
import { ProfileService } from './engine/profile-service.js';
import { TokentrayError, isTokentrayError, noSuchProfile } from './errors.js';
import type { ConfigStore, Engine, Vault } from './types.js';
import { requireStrongPassphrase } from './storage/passphrase-rule.js';
import { UnlockThrottle, isLockable, vaultInfo, vaultLockedError, vaultStateOf, type BackendVault, type LockableVault } from './storage/vault-control.js';
import { toClientInfo } from './wire.js';

export type AdminHandlers = { [V in AdminVerb]: (input: AdminInput<V>) => Promise<AdminOutputs[V]> };

export interface AdminDeps {
  engine: Engine;
  store: ConfigStore;
  clock: Clock;
  /** The vault the engine uses. */
  vault: Vault;
  /** The same vault when it can say its backend and place (the file vault, the keychain). */
  described?: BackendVault;
  /** Ends what a removed key still holds open (event streams, proxied requests) before the answer. */
  keysChanged?: () => void;
  /** The dashboard's: a wrong passphrase slows the next attempt whichever door it came through. */
  unlockThrottle?: UnlockThrottle;
  /** Whether the app reads and writes a fleet's shared cache now: a shared-only profile needs one. */
  sharedCache?: () => boolean;
}

export function createAdminHandlers(deps: AdminDeps): AdminHandlers {
  const { engine, store, clock, vault, described } = deps;
  const clientKeys = new ClientKeyService({ store, clock });
  const backend = described?.backend ?? 'keychain';
  const throttle = deps.unlockThrottle ?? new UnlockThrottle(clock);
  const requirePassphraseVault = (): LockableVault => {
    if (described === undefined || !isLockable(described)) {
      throw new TokentrayError('usage', `The running app keeps the secrets in the OS keychain${described === undefined ? '' : ` (${described.location})`}, which has no Tokentray passphrase.`, {
        hint: 'The passphrase belongs to the file vault; the keychain is unlocked by your login.',
      });
    }
    return described;
  };
  const requireProfile = (id: string) => {
    const profile = store.getProfile(id);
    if (profile === undefined) throw noSuchProfile(id);
    return profile;
  };

  return {
    'profiles:list': async () => store.listProfiles(),

    'profiles:show': async ({ id }) => {
      const profile = requireProfile(id);
      const secrets: Record<string, SecretPresence> = {};
      for (const field of secretFieldsOf(profile.provider)) {
        try {
          secrets[field] = (await vault.getSecret(id, field)) === null ? 'missing' : 'stored';
        } catch (error) {
          if (!isTokentrayError(error)) throw error;
          secrets[field] = 'unavailable';
        }
      }
      return { profile, secrets, backend };
    },

    // The vault is not needed to check: a locked app still says what is wrong with the fields.
    'profiles:check': async ({ profile }) => new ProfileService({ store, vault, clock }).check(profile, 'create'),

    'profiles:add': async ({ profile, secrets, test }) => {
      const sharedOnly = isSharedOnly(profile);
      if (sharedOnly && deps.sharedCache?.() !== true) {
        throw new TokentrayError('usage', '--shared-only needs a shared cache, and the running app has none configured; nothing was saved.', {
          hint: "Start the app with the fleet's Redis (--shared-cache URL or TOKENTRAY_SHARED_CACHE, and TOKENTRAY_SHARED_KEY), or join a fleet in the dashboard's settings.",
        });
      }
      // A locked vault could not keep the secret: say so before the provider is asked for anything.
      // A shared-only profile keeps nothing there.
      const state = vaultStateOf(vault);
      if (!sharedOnly && state !== 'unlocked') throw vaultLockedError(state);
      return { ...(await engine.createProfile(profile, secrets, { test: test && !sharedOnly })), backend };
    },

    'profiles:remove': async ({ id }) => {
      requireProfile(id);
      await engine.removeProfile(id);
      return { removed: true, id };
    },

    'clients:list': async () => store.listClients().map(toClientInfo),

    'clients:add': async ({ name, profiles }) => {
      const { key, record } = clientKeys.add(name, profiles);
      return { key, client: toClientInfo(record) };
    },

    'clients:remove': async ({ name }) => {
      if (!clientKeys.remove(name)) {
        throw new TokentrayError('not_found', `There is no client key "${name}".`, { hint: 'See `tokentray clients list`.' });
      }
      // The store's own change notice does this too; here it is certain before the caller hears back.
      deps.keysChanged?.();
      return { removed: true, name };
    },

    'vault:status': async () =>
      described === undefined ? { backend: 'keychain', state: 'unlocked', location: '', entries: null } : vaultInfo(described),

    'vault:check-passphrase': async ({ passphrase }) => {
      const vault = requirePassphraseVault();
      await throttle.attempt(() => vault.checkPassphrase(passphrase));
      return { checked: true };
    },

    // The dashboard's Settings form does the same: the vault checks the current passphrase against
    // its file, writes the new file beside the old one and renames it in.
    'vault:passphrase': async ({ current, next }) => {
      const vault = requirePassphraseVault();
      // A weak new passphrase is refused before the throttle: judging it reveals nothing about the
      // current one, and a person retrying after a typo should hear why, not "wait".
      await requireStrongPassphrase(next);
      await throttle.attempt(() => vault.changePassphrase(current, next));
      return vaultInfo(vault);
    },
  };
}

function isSharedOnly(profile: unknown): boolean {
  return typeof profile === 'object' && profile !== null && (profile as { sharedOnly?: unknown }).sharedOnly === true;
}

/** Runs one verb on a parsed JSON body; a body that does not fit the verb is a usage error naming the field, never its value. */
export async function dispatchAdmin(handlers: AdminHandlers, verb: string, body: unknown): Promise<unknown> {
  if (!isAdminVerb(verb)) {
    throw new TokentrayError('usage', `There is no administration verb "${verb.slice(0, 64)}".`, { hint: 'Update the CLI and the app together.' });
  }
  const parsed = adminVerbSchemas[verb].safeParse(body ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
      .join('; ');
    throw new TokentrayError('usage', `The request was not valid (${detail}).`);
  }
  const handler = handlers[verb] as (input: unknown) => Promise<unknown>;
  return handler(parsed.data);
}
