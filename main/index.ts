// The Electron entry (docs/desktop.md): a flat list of setup calls in order (electron/fiddle
// `src/main/main.ts`): the core with the chosen vault and the shared electron-store file, then
// each adapter (notifications, start at login, tray, IPC, power, test hooks), then the API, then
// quit. Every decision lives in main/core and is unit-tested there; this file only wires.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, powerMonitor, protocol, session } from 'electron';
import { ClipboardGuard, CredentialCopier } from './core/clipboard-guard.js';
import { createCore, type Core } from './core/app-core.js';
import { systemClock } from './core/clock.js';
import { toTokentrayError } from './core/errors.js';
import { configMovedAsideNotice, socketRefusedNotice } from './core/notices.js';
import { setupNotifications } from './core/notification-wiring.js';
import { NotificationPolicy, type NotificationModel } from './core/notification-policy.js';
import { setupStartAtLogin } from './core/start-at-login.js';
import { createLogger } from './core/logger.js';
import type { Logger } from './core/types.js';
import { isAppUrl } from './core/window-policy.js';
import { createAutoStart } from './electron/auto-start.js';
import { electronClipboard } from './electron/clipboard.js';
import { pushEngineEvent, setupIpc } from './electron/ipc.js';
import { ElectronNotifier } from './electron/notifications.js';
import { setupPower } from './electron/power.js';
import { setupSingleInstance } from './electron/single-instance.js';
import { openElectronStore } from './electron/store.js';
import { createTestHooks, installTestHooks, testHooksEnabled } from './electron/test-hooks.js';
import { setupTray } from './electron/tray-setup.js';
import { DashboardWindow, hardenSession, hardenWebContents, registerAppScheme, serveAppProtocol } from './electron/window.js';
import { resolveConfigDir } from './node/config-dir.js';
import { packageRoot } from './node/package-root.js';
import { chooseVault, passphraseFromEnv, resolveVaultChoice } from './node/vault-choice.js';
import { listenOnLocalSocket, localSocketDoor, resolveSocketPath, type LocalSocket } from './node/local-socket.js';
import { removeRuntimeFile, writeRuntimeFile } from './node/runtime-file.js';

// The project (or app.asar) root, where dist/ and assets/ live.
const appRoot = packageRoot(fileURLToPath(import.meta.url));
const assetsDir = path.join(appRoot, 'assets');

/** One line per message on stderr, with the time; fields name profiles and kinds, never a token or secret. */
function logger(scope: string): Logger {
  return createLogger({ scope: `[${scope}]`, clock: () => Date.now(), write: (line) => process.stderr.write(line) });
}

function flagValue(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  if (index !== -1) return argv[index + 1];
  return argv.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1);
}

const log = logger('main');
const argv = process.argv;
const configDir = resolveConfigDir(flagValue(argv, '--config-dir'));
// Chromium's own data sits beside our config, so the single-instance lock is per config directory.
app.setPath('userData', path.join(configDir, 'electron'));
registerAppScheme(protocol);

let quitting = false;
const dashboard = new DashboardWindow({
  preloadPath: path.join(appRoot, 'dist', 'preload', 'index.cjs'),
  iconPath: path.join(assetsDir, 'icon.png'),
  isQuitting: () => quitting,
});

if (setupSingleInstance(app, () => dashboard.show())) {
  hardenWebContents(app);
  // Closing the last window keeps the tray app running (docs/desktop.md).
  app.on('window-all-closed', () => undefined);
  app.whenReady().then(startApp, (error: unknown) => fail(error));
}

function fail(error: unknown): void {
  log.error('Tokentray could not start', { kind: toTokentrayError(error).kind, message: toTokentrayError(error).message });
  app.exit(1);
}

async function startApp(): Promise<void> {
  try {
    await run();
  } catch (error) {
    fail(error);
  }
}

async function run(): Promise<void> {
  hardenSession(session.defaultSession);
  serveAppProtocol(session.defaultSession, path.join(appRoot, 'dist', 'renderer'));

  const { store, movedAside } = openElectronStore(configDir, logger('store'));
  const guard = new ClipboardGuard({ clipboard: electronClipboard, clock: systemClock, getClearSec: () => store.getSettings().clipboardClearSec });
  let copier: CredentialCopier | null = null;
  const vault = await openVault(store.getSettings().vault);
  const core: Core = await createCore({
    store,
    vault,
    version: app.getVersion(),
    logger: logger('engine'),
    clipboard: { copy: async (profileId, what) => (copier ? copier.copy(profileId, what, 'dashboard') : false) },
  });
  copier = new CredentialCopier({ engine: core.engine, store, guard });
  const { engine } = core;

  const notifier = new ElectronNotifier({ openDashboard: (profileId) => dashboard.show(profileId), iconPath: path.join(assetsDir, 'icon.png') });
  const policy = new NotificationPolicy({ clock: systemClock, getSettings: () => store.getSettings() });
  const notifications = setupNotifications({ engine, policy, show: (notification) => notifier.show(notification) });
  if (movedAside) notifier.show(configMovedAsideNotice(movedAside));
  const startAtLogin = setupStartAtLogin({ autoStart: createAutoStart(process.platform, app), engine, store, logger: log });
  const tray = setupTray({
    assetsDir,
    engine,
    store,
    copy: async (profileId, format, client) => copier?.copy(profileId, format, client),
    openDashboard: (profileId) => dashboard.show(profileId),
    quit: () => app.quit(),
    notify: (notice) => notifier.show(notice),
    logger: log,
    vault,
  });
  const disposeIpc = await setupIpc({
    handlers: core.rpc,
    getDashboardWebContentsId: () => dashboard.webContentsId(),
    onRefused: (channel, reason) => log.warn('refused an IPC call', { channel, reason }),
  });
  const disposePush = engine.onDidEmit((event) => pushEngineEvent(dashboard.webContents(), event, isAppUrl));
  const disposePower = setupPower(engine, powerMonitor);
  if (testHooksEnabled(argv, process.env)) {
    installTestHooks(createTestHooks({ presenter: tray.presenter, policy, engine, readClipboard: () => electronClipboard.readText() }));
  }

  await startCore(core, store.getSettings().port, (notice) => notifier.show(notice));
  startAtLogin.apply();
  tray.render();
  notifications.announceCurrent();
  showDashboardUnlessHidden();

  setupQuit(core, [disposePush, disposePower, disposeIpc, startAtLogin.dispose, notifications.dispose, () => guard.dispose(), () => notifier.dispose(), tray.dispose, () => vault.close()]);
}

/**
 * auto: the keychain when one answers, else the encrypted file (docs/storage.md), whose passphrase
 * TOKENTRAY_VAULT_PASSPHRASE gives, or the window's lock screen asks for (over IPC, vault:* verbs).
 */
async function openVault(setting: Parameters<typeof resolveVaultChoice>[0]['setting']) {
  const choice = resolveVaultChoice({ flag: flagValue(argv, '--vault'), env: process.env, setting });
  const chosen = await chooseVault({ configDir, choice, env: process.env });
  log.info(chosen.line);
  const { vault } = chosen;
  if (vault.backend === 'file') {
    const passphrase = await passphraseFromEnv(process.env);
    if (passphrase !== null) await (vault.state === 'absent' ? vault.create(passphrase) : vault.unlock(passphrase));
  }
  return vault;
}

let localSocket: LocalSocket | null = null;

/** Starts the engine, the API and the user-only socket, and tells other programs where through runtime.json. */
async function startCore(core: Core, wanted: number, notify: (notice: NotificationModel) => void): Promise<void> {
  let port: number;
  try {
    port = await core.start(wanted);
  } catch (error) {
    // Another program holds the port: the engine and tray still work; programs find us via runtime.json.
    log.warn('the configured port is busy; using a free one', { port: wanted, kind: toTokentrayError(error).kind });
    port = await core.start(0);
  }
  const socketPath = resolveSocketPath(configDir);
  try {
    if (socketPath !== null) localSocket = await listenOnLocalSocket(core.server.createListener(localSocketDoor()), socketPath);
  } catch (error) {
    // The tray keeps working without it: the CLI then uses the TCP API with its client key.
    const problem = toTokentrayError(error);
    log.warn('the local socket is not served', { kind: problem.kind, message: problem.message });
    notify(socketRefusedNotice(problem));
  }
  const socket = localSocket === null ? {} : { socket: localSocket.path };
  await writeRuntimeFile(configDir, { port, pid: process.pid, version: app.getVersion(), startedAt: new Date().toISOString(), mode: 'tray', ...socket });
}

function showDashboardUnlessHidden(): void {
  const hidden = argv.includes('--hidden') || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
  if (!hidden) dashboard.show();
}

/** Quit stops the schedulers and the API cleanly before the process ends. */
function setupQuit(core: Core, disposers: readonly (() => void)[]): void {
  let stopped = false;
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return;
    event.preventDefault();
    stopped = true;
    void (async () => {
      for (const dispose of disposers) dispose();
      try {
        await core.stop();
        await localSocket?.close();
        await removeRuntimeFile(configDir);
      } catch (error) {
        log.warn('shutdown was not clean', { kind: toTokentrayError(error).kind });
      }
      dashboard.destroy();
      app.quit();
    })();
  });
}
