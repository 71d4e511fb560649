// The one lifecycle of a running Tokentray, for the tray app (main/index.ts) and `tokentray serve`
// (serve.ts): open the store, choose and open the vault, join the fleet's shared cache when one is
// configured, compose the core, listen, serve the local socket, start the services that run beside
// the core, write runtime.json; stop all of it in reverse.
// The hosts differ only by the named policies below, so a rule changed here holds for both.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isTokentrayError, TokentrayError, toTokentrayError } from '../core/errors.js';
import { HistoryFiles } from './history-files.js';
import { nodeSinkPorts } from './sink-hooks.js';
import { createCore, type Core, type CoreDeps } from '../core/app-core.js';
import type { ConfBackedStore } from '../core/storage/config-store.js';
import type { ClipboardPort } from '../core/rpc.js';
import type { Logger } from '../core/types.js';
import type { BackendVault } from '../core/storage/vault-control.js';
import { watchClockJumps } from './clock-jumps.js';
import type { CorruptReport, OpenedStore } from './file-store.js';
import { HostFleet } from './host-fleet.js';
import type { RedisSharedCache } from './shared-cache/redis-cache.js';
import { KeytarVault } from './keytar-vault.js';
import { listenOnLocalSocket, localSocketDoor, resolveSocketPath, type LocalSocket } from './local-socket.js';
import { readRuntimeFile, removeRuntimeFile, writeRuntimeFile } from './runtime-file.js';
import { chooseVault, resolveVaultChoice, unlockFromEnv } from './vault-choice.js';

/** The configured port is taken: listen on a free one and tell programs through runtime.json, or stop. */
export type BusyPortPolicy = 'fall-back' | 'exit';
/** The local socket cannot be served safely: carry on over TCP only (and say why), or stop. */
export type RefusedSocketPolicy = 'warn' | 'exit';
/** config.json was broken and moved aside: start with the new empty one (and say so), or stop. */
export type BrokenConfigPolicy = 'continue' | 'exit';
/**
 * The shared cache's configuration cannot be used (a malformed URL, no fleet key, an unreadable CA
 * file): run alone and say why, or stop. An unreachable Redis is never a reason to stop (docs/shared-cache.md).
 */
export type BadSharedCachePolicy = 'warn' | 'exit';

export interface HostOptions {
  mode: 'tray' | 'headless';
  configDir: string;
  version: string;
  env: NodeJS.ProcessEnv;
  /** electron-store in the app, conf in headless mode: one file format. */
  openStore(): OpenedStore;
  /** `--vault`, when given; else TOKENTRAY_VAULT, the setting, auto. */
  vaultFlag?: string | undefined;
  /** `--port`, when given; else the setting. */
  port?: number | undefined;
  busyPort: BusyPortPolicy;
  refusedSocket: RefusedSocketPolicy;
  brokenConfig: BrokenConfigPolicy;
  /** Default 'exit'. */
  badSharedCache?: BadSharedCachePolicy | undefined;
  /** `--shared-cache`, when given; else TOKENTRAY_SHARED_CACHE, else the setting `sharedCache`. */
  sharedCacheFlag?: string | undefined;
  /** The core's logger; fields name profiles and kinds, never a token or secret. */
  logger: Logger;
  /** One line for the person: which vault is used and why. */
  say(line: string): void;
  /** The built dashboard, served over HTTP (headless mode; the app's window loads it itself). */
  dashboardDir?: string | undefined;
  clipboard?: ClipboardPort | undefined;
  /** Resume events beside the clock check (the tray's powerMonitor); returns unsubscribe. */
  onResume?: ((listener: () => void) => () => void) | undefined;
  /** Passed through to the core (tests tighten its limits and session windows). */
  core?: Pick<CoreDeps, 'limits' | 'sessions' | 'fetch' | 'clock'> | undefined;
}

/** What a service sees of the host it runs in. */
export interface HostContext {
  core: Core;
  store: ConfBackedStore;
  vault: BackendVault;
  configDir: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  options: HostOptions;
}

/** Something that runs beside the core: started once the core listens, stopped before it stops. */
export type HostService = (context: HostContext) => Promise<(() => void | Promise<void>) | null> | (() => void | Promise<void>) | null;

/**
 * The services every host runs, in start order (they stop in reverse). A service that cannot start
 * stops the host, so one that is optional decides that itself and returns null.
 */
const SERVICES: readonly HostService[] = [reevaluateAfterJumps];

export interface StartedHost {
  port: number;
  /** The local socket's path, or null where none is served. */
  socket: string | null;
  /** Why the local socket was not served (refusedSocket 'warn'), for the person to see. */
  socketRefused: TokentrayError | null;
}

export interface Host {
  readonly core: Core;
  readonly store: ConfBackedStore;
  readonly vault: BackendVault;
  /** A broken config.json that was moved aside (brokenConfig 'continue'). */
  readonly movedAside: CorruptReport | null;
  /** The fleet's shared cache, when one is joined (connected or not: its health says). */
  readonly sharedCache: RedisSharedCache | null;
  /** Why the configured shared cache is not used (badSharedCache 'warn'), for the person to see. */
  readonly sharedCacheRefused: TokentrayError | null;
  /** Fires when the cache shared through changes (joined or left in the dashboard, or on unlock). */
  onDidChangeSharedCache(listener: (cache: RedisSharedCache | null) => void): () => void;
  /** Listens, serves the socket, starts the services and writes runtime.json; undoes it all on failure. */
  start(): Promise<StartedHost>;
  /** Everything that was started or opened, in reverse. */
  stop(): Promise<void>;
}

type Undo = () => void | Promise<void>;

/**
 * Opens the store and the vault and composes the core, listening on nothing yet, so an entry can
 * attach its adapters (tray, IPC, notifications) before start(). Every failure is a TokentrayError
 * whose kind gives the CLI's exit code (cli/output.ts exitCodeOf), with nothing left open.
 */
export async function openHost(options: HostOptions): Promise<Host> {
  const { configDir, env, logger } = options;
  const running = await readRuntimeFile(configDir);
  if (running !== null && running.pid !== process.pid) {
    throw new TokentrayError('config', `Tokentray is already running for ${configDir} (pid ${running.pid}, port ${running.port}).`, {
      hint: 'Stop it first, or use another --config-dir.',
    });
  }

  const undo: Undo[] = [];
  const unwind = async (): Promise<void> => {
    while (undo.length > 0) {
      try {
        await undo.pop()?.();
      } catch (error) {
        logger.warn('shutdown was not clean', { kind: toTokentrayError(error).kind });
      }
    }
  };

  const { store, movedAside } = openStore(options);
  undo.push(() => store.close());
  let vault: BackendVault;
  let core: Core;
  let fleet: HostFleet;
  try {
    if (movedAside !== null && options.brokenConfig === 'exit') {
      throw new TokentrayError('config', `The config file was not valid (${movedAside.reason}); it was moved to ${movedAside.movedTo}.`, {
        hint: 'Fix or remove that file, then start again; a new empty config is in place.',
      });
    }
    // The URL is checked before the vault opens, so bad input stops the start having created nothing.
    fleet = new HostFleet({ sharedCacheFlag: options.sharedCacheFlag, env, logger, say: options.say, badSharedCache: options.badSharedCache ?? 'exit' }, store);
    fleet.checkUrl();
    vault = await openVault(options, store, undo);
    const opening = fleet;
    undo.push(() => opening.close());
    await fleet.open(vault);
    core = await composeCore(options, store, vault, fleet);
    fleet.attach(core);
  } catch (error) {
    await unwind();
    throw error;
  }

  let started = false;
  return {
    core,
    store,
    vault,
    movedAside,
    get sharedCache() {
      return fleet.cache;
    },
    get sharedCacheRefused() {
      return fleet.refused;
    },
    onDidChangeSharedCache: (listener) => fleet.onDidChange(listener),
    async start() {
      if (started) throw new TokentrayError('internal', 'This host has already started.');
      started = true;
      try {
        const port = await listen(options, core, store.getSettings().port);
        undo.push(() => core.stop());
        const local = await serveSocket(options, core);
        if (local.socket !== null) undo.push(() => (local.socket as LocalSocket).close());
        const context: HostContext = { core, store, vault, configDir, env, logger, options };
        for (const service of SERVICES) {
          const stop = await service(context);
          if (stop !== null) undo.push(stop);
        }
        const socket = local.socket?.path ?? null;
        await writeRuntimeFile(configDir, {
          port,
          pid: process.pid,
          version: options.version,
          startedAt: new Date().toISOString(),
          mode: options.mode,
          ...(socket === null ? {} : { socket }),
        });
        // First on the way down: programs stop finding this app before it stops answering.
        undo.push(() => removeRuntimeFile(configDir));
        return { port, socket, socketRefused: local.refused };
      } catch (error) {
        await unwind();
        throw error;
      }
    },
    stop: unwind,
  };
}

function openStore(options: HostOptions): OpenedStore {
  try {
    return options.openStore();
  } catch (error) {
    if (isTokentrayError(error)) throw error;
    throw new TokentrayError('config', `The config directory ${options.configDir} cannot be used.`, {
      hint: 'Choose another one with --config-dir or TOKENTRAY_CONFIG_DIR.',
      cause: error,
    });
  }
}

/**
 * `--vault`, TOKENTRAY_VAULT, the setting, else auto. The keychain is tried once now, so a locked
 * or absent one stops the start with its reason instead of failing each refresh later; the file
 * vault opens with the environment's passphrase, or waits locked for the lock screen.
 */
async function openVault(options: HostOptions, store: ConfBackedStore, undo: Undo[]): Promise<BackendVault> {
  try {
    const choice = resolveVaultChoice({ flag: options.vaultFlag, env: options.env, setting: store.getSettings().vault });
    const { vault, line } = await chooseVault({ configDir: options.configDir, choice, env: options.env });
    options.say(line);
    if (vault instanceof KeytarVault) await vault.probe();
    else {
      undo.push(() => vault.close());
      await unlockFromEnv(vault, options.env);
    }
    return vault;
  } catch (error) {
    const fallback = 'Unlock the keychain and start again.';
    if (!isTokentrayError(error)) throw new TokentrayError('keychain_unavailable', 'The vault is not available.', { hint: fallback, cause: error });
    if (error.hint !== undefined) throw error;
    throw new TokentrayError(error.kind, error.message, { hint: fallback, cause: error.cause });
  }
}

async function composeCore(options: HostOptions, store: ConfBackedStore, vault: BackendVault, fleet: HostFleet): Promise<Core> {
  const sharedCache = fleet.cache;
  try {
    return await createCore({
      store,
      vault,
      logger: options.logger,
      version: options.version,
      // The activity log and request counts outlive a restart.
      history: new HistoryFiles(options.configDir),
      // Token files named in config.json are kept by every long-running host.
      sinks: nodeSinkPorts(),
      ...(options.dashboardDir === undefined ? {} : { dashboardDir: options.dashboardDir }),
      ...(options.clipboard === undefined ? {} : { clipboard: options.clipboard }),
      ...(sharedCache === null ? {} : { sharedCache }),
      fleetSettings: fleet,
      beforeEngineStart: () => fleet.beforeEngineStart(),
      ...options.core,
    });
  } catch (error) {
    throw startProblem(error);
  }
}

async function listen(options: HostOptions, core: Core, setting: number): Promise<number> {
  const wanted = options.port ?? setting;
  try {
    return await core.start(wanted);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw startProblem(error);
    if (options.busyPort === 'fall-back') {
      // The engine and the tray still work; programs find the port through runtime.json.
      options.logger.warn('the configured port is busy; using a free one', { port: wanted, code });
      try {
        return await core.start(0);
      } catch (again) {
        throw startProblem(again);
      }
    }
    throw code === 'EADDRINUSE'
      ? new TokentrayError('config', `Port ${wanted} on 127.0.0.1 is already in use.`, { hint: 'Choose another with --port N (or --port 0 for any free port).' })
      : new TokentrayError('config', `Port ${wanted} on 127.0.0.1 may not be used by this user.`, { hint: 'Choose a port above 1024 with --port N.' });
  }
}

function startProblem(error: unknown): TokentrayError {
  return isTokentrayError(error) ? error : new TokentrayError('internal', 'The server could not start.', { cause: error });
}

/** The user-only socket the CLI prefers; a path that is unsafe or taken is refused, never reused. */
async function serveSocket(options: HostOptions, core: Core): Promise<{ socket: LocalSocket | null; refused: TokentrayError | null }> {
  const socketPath = resolveSocketPath(options.configDir, options.env);
  if (socketPath === null) return { socket: null, refused: null };
  try {
    const listener = core.server.createListener(localSocketDoor());
    if (options.env.TOKENTRAY_TEST_HOOKS === '1') traceSocketRequests(listener);
    return { socket: await listenOnLocalSocket(listener, socketPath), refused: null };
  } catch (error) {
    const problem = isTokentrayError(error)
      ? error
      : new TokentrayError('config', `The local socket ${socketPath} could not be opened.`, { hint: 'Set TOKENTRAY_SOCKET to another path.', cause: error });
    if (options.refusedSocket === 'exit') throw problem;
    // The CLI then uses the TCP API with its client key.
    options.logger.warn('the local socket is not served', { kind: problem.kind, message: problem.message });
    return { socket: null, refused: problem };
  }
}

/**
 * Test hook (TOKENTRAY_TEST_HOOKS=1 only): one stderr line per answered socket request, so a test
 * sees that a CLI command came through the app and did not write the store or the vault itself.
 */
function traceSocketRequests(listener: Server): void {
  listener.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.once('finish', () => {
      let url = req.url ?? '';
      try {
        url = decodeURIComponent(url);
      } catch {
        // Shown as it came.
      }
      process.stderr.write(`tokentray-test: socket ${req.method ?? ''} ${url} ${res.statusCode}\n`);
    });
  });
}

/**
 * After a resume or a clock jump every profile is re-evaluated at once: the wall-versus-monotonic
 * check in every host, and the host's own resume events (the tray's powerMonitor) feed one path.
 */
function reevaluateAfterJumps(context: HostContext): () => void {
  const { core, logger, options } = context;
  const stopClock = watchClockJumps({
    onJump: (skewMs) => {
      logger.info('the wall clock jumped; re-evaluating every profile', { skewMs: Math.round(skewMs) });
      core.engine.reevaluate();
    },
  });
  const stopResume = options.onResume?.(() => {
    logger.info('the machine resumed; re-evaluating every profile');
    core.engine.reevaluate();
  });
  return () => {
    stopClock();
    stopResume?.();
  };
}
