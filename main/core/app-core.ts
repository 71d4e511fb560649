// The composition both `tokentray serve` and the Electron main process run: the engine, the RPC
// verbs and the loopback API, wired to one store and one vault. Adapters (keytar, conf, clipboard)
// come in as parameters, so this file stays free of node-only storage and electron.
import { apiBaseUrl } from '../../common/relay.js';
import { createAdminHandlers } from './admin.js';
import { createLoopbackServer, type LoopbackLimits, type LoopbackServer } from './api/server.js';
import type { SessionOptions } from './api/sessions.js';
import { watchClientKeys } from './clients/client-key-service.js';
import { createClientKey, findClientByKey } from './clients/client-keys.js';
import { systemClock, type Clock } from './clock.js';
import type { HistoryStore } from './engine/history.js';
import { BackgroundScheduler } from './engine/scheduler.js';
import { TokenEngine } from './engine/token-engine.js';
import { describeFleet } from './fleet/fleet-status.js';
import type { SharedCache } from './fleet/shared-cache.js';
import type { FleetSettings } from './fleet/fleet-settings.js';
import { createProviderRegistry } from './providers/index.js';
import { toTokentrayError } from './errors.js';
import { createRpcHandlers, type ClipboardPort, type RpcHandlers } from './rpc.js';
import { tlsAwareFetch } from './tls-fetch.js';
import { SinkKeeper, type SinkKeeperOptions, type SinkPorts } from './sinks/sink-keeper.js';
import { withSinkStatuses } from './sinks/sink-status.js';
import type { ConfigStore, Engine, FetchLike, Logger, ProviderRegistry, Vault } from './types.js';
import { UnlockThrottle, isBackendVault, isLockable, type LockableVault } from './storage/vault-control.js';

/** The CLI's own loopback key: in the keychain under this account, with a client record named 'cli'. */
export const CLI_KEY_ACCOUNT = 'cli:client-key';
export const CLI_CLIENT_NAME = 'cli';

export interface CoreDeps {
  store: ConfigStore;
  vault: Vault;
  clock?: Clock;
  fetch?: FetchLike;
  providers?: ProviderRegistry;
  logger?: Logger;
  version: string;
  /** The built dashboard, served at / (headless mode). */
  dashboardDir?: string;
  clipboard?: ClipboardPort;
  /** Tests tighten or loosen the server's bounds. */
  limits?: Partial<LoopbackLimits>;
  /** Tests shorten the dashboard sessions' link and idle windows. */
  sessions?: Partial<SessionOptions>;
  /** Where the activity log and request counts outlive a restart (main/node/history-files.ts). */
  history?: HistoryStore;
  /** Files and processes for config.json's token files (main/node/sink-ports.ts); without them none are kept. */
  sinks?: SinkPorts;
  /** Tests shorten the hooks' timeout and back-off. */
  sinkOptions?: Partial<SinkKeeperOptions>;
  /** The fleet's shared cache (SPEC section 8), opened by the host; absent on a machine alone. */
  sharedCache?: SharedCache;
  /** Joining and leaving a fleet from the dashboard (the host's). */
  fleetSettings?: FleetSettings;
  /**
   * Runs before the engine starts (at start, or when the file vault unlocks): the host joins a
   * fleet whose password or key the vault keeps, so the first refreshes already share.
   */
  beforeEngineStart?: () => Promise<void>;
}

export interface Core {
  engine: Engine;
  rpc: RpcHandlers;
  server: LoopbackServer;
  /** Starts the engine, makes sure the CLI's key exists, then listens; resolves with the actual port. */
  start(port: number): Promise<number>;
  /**
   * The file vault, when it needs a passphrase: start() then listens at once, and the engine starts
   * (cached tokens, schedules) when it is unlocked, and stops again on Lock.
   */
  readonly vault: LockableVault | null;
  /** Keeps the token files while the engine runs; null without sink ports. */
  readonly sinks: SinkKeeper | null;
  /** Closes the server, then stops the engine (timers and in-flight requests). */
  stop(): Promise<void>;
  /** Shares through this cache from now on, or through none (the engine, /v1/health, the admin verbs). */
  joinFleet(cache: SharedCache | null): void;
}

/**
 * The CLI's key, created on first use: the key itself goes to the keychain, its hash to the store.
 * A record that no longer matches the kept key (or a key whose record was removed) is replaced.
 */
export async function ensureCliClientKey(store: ConfigStore, vault: Vault, clock: Clock = systemClock): Promise<string> {
  const kept = await vault.getItem(CLI_KEY_ACCOUNT);
  if (kept !== null) {
    const record = findClientByKey(store.listClients(), kept);
    if (record !== undefined && record.name === CLI_CLIENT_NAME) return kept;
  }
  const { key, record } = createClientKey(CLI_CLIENT_NAME, null, new Date(clock.now()));
  await vault.setItem(CLI_KEY_ACCOUNT, key);
  store.putClient(record);
  return key;
}

export async function createCore(deps: CoreDeps): Promise<Core> {
  const clock = deps.clock ?? systemClock;
  const fetchLike: FetchLike = deps.fetch ?? tlsAwareFetch;
  const engine = new TokenEngine({
    store: deps.store,
    vault: deps.vault,
    providers: deps.providers ?? createProviderRegistry(),
    clock,
    fetch: fetchLike,
    // A long-running process: refreshes run by themselves, on one timer per profile.
    scheduler: new BackgroundScheduler({ clock, ...(deps.logger === undefined ? {} : { logger: deps.logger }) }),
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    ...(deps.history === undefined ? {} : { history: deps.history }),
    ...(deps.sharedCache === undefined ? {} : { sharedCache: deps.sharedCache }),
  });
  const lockable = isLockable(deps.vault) ? deps.vault : null;
  const keeper =
    deps.sinks === undefined
      ? null
      : new SinkKeeper({
          engine,
          store: deps.store,
          ports: deps.sinks,
          clock,
          ...(deps.logger === undefined ? {} : { logger: deps.logger }),
          ...(deps.sinkOptions === undefined ? {} : { options: deps.sinkOptions }),
        });
  // What the API and the dashboard see: each profile's status with its token files.
  const shown = keeper === null ? engine : withSinkStatuses(engine, keeper);
  // Engine starts and stops one after another, never overlapping (unlock, lock, unlock quickly).
  let engineTurn: Promise<void> = Promise.resolve();
  // One throttle for every door: guesses over the socket slow the dashboard's down too, and back.
  const unlockThrottle = new UnlockThrottle(clock);
  const rpc = createRpcHandlers({
    unlockThrottle,
    vaultSettled: () => engineTurn,
    // Asked lazily, of the server built just below: the port is known only once it listens.
    apiBaseUrl: () => (server.port === 0 ? null : apiBaseUrl(server.port)),
    fleetStatus: async () => ({
      ...(await describeFleet(engine.sharedFleet, deps.store.listProfiles(), clock)),
      ...(deps.fleetSettings === undefined ? {} : { source: deps.fleetSettings.source() }),
    }),
    ...(deps.fleetSettings === undefined ? {} : { fleetSettings: deps.fleetSettings }),
    engine: shown,
    store: deps.store,
    clock,
    ...(isBackendVault(deps.vault) ? { vault: deps.vault } : {}),
    ...(deps.clipboard === undefined ? {} : { clipboard: deps.clipboard }),
  });
  const server = createLoopbackServer({
    engine: shown,
    store: deps.store,
    clock,
    rpc,
    admin: (keysChanged) =>
      createAdminHandlers({
        engine,
        store: deps.store,
        clock,
        vault: deps.vault,
        keysChanged,
        unlockThrottle,
        sharedCache: () => engine.sharedFleet !== null,
        ...(isBackendVault(deps.vault) ? { described: deps.vault } : {}),
      }),
    version: deps.version,
    ...(lockable === null ? {} : { vault: lockable }),
    ...(deps.dashboardDir === undefined ? {} : { dashboardDir: deps.dashboardDir }),
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    ...(deps.limits === undefined ? {} : { limits: deps.limits }),
    ...(deps.sessions === undefined ? {} : { sessions: deps.sessions }),
    ...(deps.sharedCache === undefined ? {} : { sharedCache: deps.sharedCache }),
  });

  let started = false;
  let unsubscribeVault: (() => void) | null = null;
  // Keys added or revoked by any writer (the dashboard, the CLI in another process) reach the log.
  let unsubscribeClients: (() => void) | null = null;
  const startEngine = async (): Promise<void> => {
    if (started) return;
    try {
      await deps.beforeEngineStart?.();
    } catch (error) {
      // The engine works alone then, as with an unreachable Redis; the host has said why.
      deps.logger?.warn('the fleet could not be joined before the engine started', { kind: toTokentrayError(error).kind });
    }
    await engine.start();
    started = true;
    // After the engine's start, which has read every cached token: no file is removed for want of one.
    keeper?.start();
    try {
      await ensureCliClientKey(deps.store, deps.vault, clock);
    } catch {
      // Not fatal: the CLI then does its work in-process, with the same engine and keychain cache.
      deps.logger?.warn('the CLI client key could not be prepared');
    }
  };
  const stopEngine = async (): Promise<void> => {
    if (!started) return;
    started = false;
    await keeper?.stop();
    await engine.stop();
  };
  const follow = (state: string): void => {
    engineTurn = engineTurn
      .then(() => (state === 'unlocked' ? startEngine() : stopEngine()))
      .catch(() => deps.logger?.error('the engine could not follow the vault', { state }));
  };
  return {
    engine,
    rpc,
    server,
    vault: lockable,
    sinks: keeper,
    async start(port) {
      // Earlier runs' entries come before anything this run records, locked vault or not.
      await engine.restoreHistory();
      // A locked file vault does not hold the server back: the dashboard's lock screen needs it.
      if (lockable === null || lockable.state === 'unlocked') await startEngine();
      unsubscribeVault = lockable?.onDidChangeState(follow) ?? null;
      unsubscribeClients = watchClientKeys(deps.store, (entry) => engine.record(entry));
      try {
        return await server.listen(port);
      } catch (error) {
        unsubscribeVault?.();
        unsubscribeClients?.();
        await server.close();
        await stopEngine();
        throw error;
      }
    },
    joinFleet(cache) {
      engine.joinFleet(cache);
      server.useSharedCache(cache ?? undefined);
    },
    async stop() {
      unsubscribeVault?.();
      unsubscribeClients?.();
      await server.close();
      await engineTurn;
      await stopEngine();
      await engine.closeHistory();
    },
  };
}
