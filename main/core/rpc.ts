// The dashboard's verbs, one handler per channel of the contract's ipcRequestSchemas. The Electron IPC
// layer and the headless HTTP transport (/ui/rpc/{channel}) both go through dispatchRpc, so a payload
// is validated the same way whichever door it came through.
import {
  ipcRequestSchemas,
  type FleetStatusInfo,
  type IpcChannel,
  type IpcRequest,
  type IpcResponses,
  type Result,
} from '../../common/contract.js';
import { toClientInfo, toTokenResponse } from './wire.js';
import { ClientKeyService } from './clients/client-key-service.js';
import type { Clock } from './clock.js';
import { TokentrayError, noSuchProfile, toTokentrayError } from './errors.js';
import type { ConfigStore, Engine } from './types.js';
import type { FleetSettings } from './fleet/fleet-settings.js';
import { estimatePassphrase } from './storage/passphrase-rule.js';
import { UnlockThrottle, isLockable, vaultInfo, type BackendVault, type LockableVault } from './storage/vault-control.js';

export type RpcHandlers = {
  [C in IpcChannel]: (...args: IpcRequest<C>) => Promise<IpcResponses[C]>;
};

export interface ClipboardPort {
  copy(profileId: string, what: 'token' | 'header' | 'curl'): Promise<boolean>;
}

export interface RpcDeps {
  engine: Engine;
  store: ConfigStore;
  clock: Clock;
  /** The tray app's clipboard; absent in headless mode (the browser copies for itself). */
  clipboard?: ClipboardPort;
  /** The vault; only a lockable one (the file) answers the lock screen's verbs (docs/storage.md). Without one, the vault is the keychain. */
  vault?: BackendVault;
  /** Slows repeated wrong passphrases down (default: doubling from 1 s, capped at 60 s). */
  unlockThrottle?: UnlockThrottle;
  /** Resolves once the engine has followed the vault's last change (started on unlock, stopped on lock). */
  vaultSettled?: () => Promise<void>;
  /** The loopback API's base URL (`http://127.0.0.1:PORT`), or null while it is not listening. */
  apiBaseUrl?: () => string | null;
  /** The fleet's shared cache and what it holds (SPEC section 8); absent: none is configured. */
  fleetStatus?: () => Promise<FleetStatusInfo>;
  /** Joining and leaving a fleet from the dashboard; absent where the host cannot (tests). */
  fleetSettings?: FleetSettings;
}

/** Who the dashboard is, in the activity log (docs/desktop.md: "which client key fetched which token"). */
const DASHBOARD_CLIENT = 'dashboard';

export function createRpcHandlers(deps: RpcDeps): RpcHandlers {
  const { engine, store, clock } = deps;
  const clientKeys = new ClientKeyService({ store, clock });

  const requireProfile = (id: string): void => {
    if (store.getProfile(id) === undefined) throw noSuchProfile(id);
  };
  const throttle = deps.unlockThrottle ?? new UnlockThrottle(clock);
  const requireVault = (): LockableVault => {
    if (deps.vault === undefined || !isLockable(deps.vault)) {
      throw new TokentrayError('usage', 'This vault has no passphrase.', { hint: 'The OS keychain is unlocked by the system; passphrases belong to the file vault (--vault file).' });
    }
    return deps.vault;
  };

  const fleetStatus = async (): Promise<FleetStatusInfo> =>
    (await deps.fleetStatus?.()) ?? { configured: false, location: null, state: null, reason: null, keyId: null, previousKeyId: null, unreadable: null, profiles: [] };
  const requireFleetSettings = (): FleetSettings => {
    if (deps.fleetSettings === undefined) throw new TokentrayError('usage', 'This app cannot join a fleet from the dashboard.', { hint: 'Start it with --shared-cache URL or TOKENTRAY_SHARED_CACHE.' });
    return deps.fleetSettings;
  };

  return {
    'profiles:list': async () => engine.statuses(),

    'profiles:get': async (id) => {
      const profile = store.getProfile(id);
      if (profile === undefined) throw noSuchProfile(id);
      return profile;
    },

    // Validated once, by the profile service behind the engine (the same rules as the CLI's). Add
    // sends mode `create`, so a taken id is refused instead of replacing that profile's secrets.
    'profiles:save': async (input) =>
      input.mode === 'create' ? engine.addProfile(input.profile, input.secrets) : engine.upsertProfile(input.profile, input.secrets),

    // The engine validates once, as for a save; an invalid profile is a failed test, not a failed call.
    'profiles:test': async (input) => engine.testProfile(input.profile, input.secrets),

    'profiles:remove': async (id) => ({ removed: await engine.removeProfile(id) }),

    'profiles:refresh': async (id) => {
      requireProfile(id);
      const token = await engine.refresh(id, { client: DASHBOARD_CLIENT });
      return toTokenResponse(token, clock.now());
    },

    'profiles:pause': async (id, paused) => {
      requireProfile(id);
      return engine.setPaused(id, paused);
    },

    'tokens:get': async (id) => {
      requireProfile(id);
      const token = await engine.getToken(id, { client: DASHBOARD_CLIENT });
      return toTokenResponse(token, clock.now());
    },

    'tokens:headers': async (id) => {
      requireProfile(id);
      const token = await engine.getToken(id, { client: DASHBOARD_CLIENT });
      return { ...token.headers };
    },

    'activity:list': async () => engine.activity(),

    'settings:get': async () => store.getSettings(),

    'settings:update': async (patch) => {
      // A fleet is joined and left through its own verbs, which keep its password and key in the
      // vault and apply at once; a bare URL written here would do neither.
      if (patch.sharedCache !== undefined) {
        throw new TokentrayError('usage', 'The shared cache is not changed through the settings.', { hint: 'Join or leave the fleet in Settings, Fleet (fleet:join, fleet:leave).' });
      }
      // The engine follows the store and emits the settings event: the one way a change travels.
      return store.updateSettings(patch);
    },

    'clients:list': async () => store.listClients().map(toClientInfo),

    // The activity log's client-added and client-removed entries come from watchClientKeys, which
    // sees every writer (this RPC and the CLI in another process) the same way.
    'clients:add': async ({ name, profiles }) => {
      const { key, record } = clientKeys.add(name, profiles);
      return { key, client: toClientInfo(record) };
    },

    'clients:remove': async (name) => ({ removed: clientKeys.remove(name) }),

    'clipboard:copy': async (id, what) => {
      requireProfile(id);
      if (deps.clipboard === undefined) {
        throw new TokentrayError('usage', 'Copying through the app is not available here.', {
          hint: 'In headless mode the dashboard copies in the browser.',
        });
      }
      return { copied: await deps.clipboard.copy(id, what) };
    },

    'vault:state': async () =>
      deps.vault === undefined ? { backend: 'keychain', state: 'unlocked', location: '', entries: null } : vaultInfo(deps.vault, deps.vault.backend === 'file'),

    'vault:create': async (passphrase) => {
      const vault = requireVault();
      await vault.create(passphrase);
      await deps.vaultSettled?.();
      return vaultInfo(vault);
    },

    'vault:unlock': async (passphrase) => {
      const vault = requireVault();
      await throttle.attempt(() => vault.unlock(passphrase));
      await deps.vaultSettled?.();
      return vaultInfo(vault);
    },

    'vault:lock': async () => {
      // Every dashboard session ends with the Lock: the loopback server follows the
      // vault's state, and its RPC route gives the locking tab a lock-screen session.
      const vault = requireVault();
      vault.lock();
      await deps.vaultSettled?.();
      return vaultInfo(vault);
    },

    // The lock screen's live strength meter: the estimator stays in the app, out of the page's bundle.
    'vault:strength': async (passphrase) => estimatePassphrase(passphrase),

    // A wrong current passphrase counts like a wrong unlock: the same throttle slows guessing down.
    'vault:passphrase': async ({ current, next }) => {
      const vault = requireVault();
      await throttle.attempt(() => vault.changePassphrase(current, next));
      return vaultInfo(vault);
    },

    'api:address': async () => ({ baseUrl: deps.apiBaseUrl?.() ?? null }),

    'fleet:status': async () => fleetStatus(),

    // The answer is the fleet as the app now sees it: joined (connected or not yet) or left.
    'fleet:join': async (input) => {
      await requireFleetSettings().join(input);
      return fleetStatus();
    },

    'fleet:leave': async () => {
      await requireFleetSettings().leave();
      return fleetStatus();
    },
  };
}

/**
 * Runs one channel: unknown channels and malformed payloads are answered with an error value, never a
 * throw, and any failure becomes plain-words ErrorInfo (TokentrayError never carries a secret).
 */
export async function dispatchRpc(handlers: RpcHandlers, channel: string, args: unknown): Promise<Result<unknown>> {
  if (!Object.hasOwn(ipcRequestSchemas, channel)) {
    return {
      ok: false,
      error: { kind: 'usage', message: 'Unknown request channel.', hint: 'Update the dashboard and the app together.' },
    };
  }
  const name = channel as IpcChannel;
  const parsed = ipcRequestSchemas[name].safeParse(args);
  if (!parsed.success) {
    // Paths and zod's fixed messages only: never the values, which may hold a secret.
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'arguments'}: ${issue.message}`)
      .join('; ');
    return { ok: false, error: { kind: 'usage', message: `The request was not valid (${detail}).` } };
  }
  try {
    const handler = handlers[name] as (...values: unknown[]) => Promise<unknown>;
    const value = await handler(...(parsed.data as unknown[]));
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: toTokentrayError(error).toInfo() };
  }
}
