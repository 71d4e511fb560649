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
import { vaultInfo, vaultLockedError, vaultStateOf, type BackendVault } from './storage/vault-control.js';
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
}

export function createAdminHandlers(deps: AdminDeps): AdminHandlers {
  const { engine, store, clock, vault, described } = deps;
  const clientKeys = new ClientKeyService({ store, clock });
  const backend = described?.backend ?? 'keychain';
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
      // A locked vault could not keep the secret: say so before the provider is asked for anything.
      const state = vaultStateOf(vault);
      if (state !== 'unlocked') throw vaultLockedError(state);
      return { ...(await engine.createProfile(profile, secrets, { test })), backend };
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
  };
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
