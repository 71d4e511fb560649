// The Electron entry (SPEC section 6): builds the core with the keychain vault and the shared
// electron-store file, plugs in the adapters (tray, notifications, clipboard, window, IPC, power,
// start at login), and nothing else. Every decision lives in main/core and is unit-tested there.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, powerMonitor, protocol, session } from 'electron';
import { ClipboardGuard, CredentialCopier } from './core/clipboard-guard.js';
import { createCore, type Core } from './core/app-core.js';
import { systemClock } from './core/clock.js';
import { toTokentrayError } from './core/errors.js';
import { NotificationPolicy } from './core/notification-policy.js';
import { TrayPresenter, type TrayAction } from './core/tray-model.js';
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
import { ElectronTrayView } from './electron/tray.js';
import { DashboardWindow, hardenSession, hardenWebContents, registerAppScheme, serveAppProtocol } from './electron/window.js';
import { resolveConfigDir } from './node/config-dir.js';
import { KeytarVault } from './node/keytar-vault.js';
import { removeRuntimeFile, writeRuntimeFile } from './node/runtime-file.js';

// dist/main/index.js -> the project (or app.asar) root, where dist/ and assets/ live.
const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const assetsDir = path.join(appRoot, 'assets');

/** One line per message on stderr; fields name profiles and kinds, never a token or secret. */
function createLogger(scope: string): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${new Date().toISOString()} ${level} [${scope}] ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  return { debug: () => undefined, info: write('info'), warn: write('warn'), error: write('error') };
}

function flagValue(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  if (index !== -1) return argv[index + 1];
  return argv.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1);
}

const log = createLogger('main');
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
  // Closing the last window keeps the tray app running (SPEC section 6).
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

  const { store, movedAside } = openElectronStore(configDir, createLogger('store'));
  const vault = new KeytarVault();
  const guard = new ClipboardGuard({
    clipboard: electronClipboard,
    clock: systemClock,
    getClearSec: () => store.getSettings().clipboardClearSec,
  });
  const autoStart = createAutoStart(process.platform, app);
  let copier: CredentialCopier | null = null;
  const policy = new NotificationPolicy({ clock: systemClock, getSettings: () => store.getSettings() });
  let presenter: TrayPresenter | null = null;
  const refreshTray = () => presenter?.update(core.engine.statuses(), store.getSettings());

  const core: Core = await createCore({
    store,
    vault,
    version: app.getVersion(),
    logger: createLogger('engine'),
    clipboard: {
      copy: async (profileId, what) => (copier ? copier.copy(profileId, what, 'dashboard') : false),
    },
    onSettingsChanged: (settings) => {
      applyStartAtLogin(settings.startAtLogin);
      policy.handle({ type: 'settings', settings });
      refreshTray();
    },
  });
  copier = new CredentialCopier({ engine: core.engine, store, guard });

  function applyStartAtLogin(enabled: boolean): void {
    try {
      if (autoStart.isEnabled() !== enabled) autoStart.setEnabled(enabled);
    } catch (error) {
      log.warn('start at login could not be changed', { kind: toTokentrayError(error).kind });
    }
  }

  const notifier = new ElectronNotifier({
    openDashboard: (profileId) => dashboard.show(profileId),
    iconPath: path.join(assetsDir, 'icon.png'),
  });
  policy.onDidNotify((notification) => notifier.show(notification));
  if (movedAside) {
    notifier.show({ kind: 'expired', profileId: '', title: 'Tokentray: config file was broken', body: `It was moved aside to ${movedAside.movedTo} (${movedAside.reason}).` });
  }

  const onTrayAction = async (action: TrayAction): Promise<void> => {
    try {
      switch (action.kind) {
        case 'copy':
          await copier?.copy(action.profileId, action.format, 'tray');
          return;
        case 'refresh':
          await core.engine.refresh(action.profileId, { client: 'tray' });
          return;
        case 'pause':
          await core.engine.setPaused(action.profileId, action.paused);
          return;
        case 'open-dashboard':
          dashboard.show(action.profileId);
          return;
        case 'start-at-login': {
          const settings = store.updateSettings({ startAtLogin: action.enabled });
          applyStartAtLogin(settings.startAtLogin);
          refreshTray();
          return;
        }
        case 'quit':
          app.quit();
          return;
      }
    } catch (error) {
      // The failure is already on the profile's status (and in the policy's hands); say it once here too.
      const info = toTokentrayError(error).toInfo();
      log.warn('tray action failed', { action: action.kind, kind: info.kind });
      if (action.kind === 'copy') {
        notifier.show({ kind: 'expired', profileId: action.profileId, title: 'Nothing was copied', body: `${info.message}${info.hint ? ` ${info.hint}` : ''}` });
      }
    }
  };

  const trayView = new ElectronTrayView({
    assetsDir,
    onItemClick: (itemId) => void presenter?.trigger(itemId),
    onIconClick: () => dashboard.show(),
  });
  presenter = new TrayPresenter(trayView, onTrayAction);

  const disposeIpc = await setupIpc({
    handlers: core.rpc,
    getDashboardWebContentsId: () => dashboard.webContentsId(),
    onRefused: (channel, reason) => log.warn('refused an IPC call', { channel, reason }),
  });
  const unsubscribeEngine = core.engine.onDidEmit((event) => {
    pushEngineEvent(dashboard.webContents(), event, isAppUrl);
    policy.handle(event);
    refreshTray();
  });
  // A write by the CLI (another process) changes profiles or settings under us.
  const unsubscribeStore = store.onDidChange(() => refreshTray());
  const disposePower = setupPower(core.engine, powerMonitor);

  if (testHooksEnabled(argv, process.env)) {
    installTestHooks(createTestHooks({ presenter, policy, engine: core.engine, readClipboard: () => electronClipboard.readText() }));
  }

  const settings = store.getSettings();
  let port: number;
  try {
    port = await core.start(settings.port);
  } catch (error) {
    // Another program holds the port: the engine and tray still work; programs find us via runtime.json.
    log.warn('the configured port is busy; using a free one', { port: settings.port, kind: toTokentrayError(error).kind });
    port = await core.start(0);
  }
  await writeRuntimeFile(configDir, { port, pid: process.pid, version: app.getVersion(), startedAt: new Date().toISOString(), mode: 'tray' });
  applyStartAtLogin(settings.startAtLogin);
  refreshTray();
  for (const status of core.engine.statuses()) policy.handle({ type: 'profile', status, previous: null, recovered: false });

  const hidden = argv.includes('--hidden') || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAsHidden);
  if (!hidden) dashboard.show();

  // Quit stops the schedulers and the API cleanly before the process ends.
  let stopped = false;
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return;
    event.preventDefault();
    stopped = true;
    void (async () => {
      unsubscribeEngine();
      unsubscribeStore();
      disposePower();
      disposeIpc();
      policy.dispose();
      guard.dispose();
      notifier.dispose();
      trayView.destroy();
      try {
        await core.stop();
        await removeRuntimeFile(configDir);
      } catch (error) {
        log.warn('shutdown was not clean', { kind: toTokentrayError(error).kind });
      }
      dashboard.destroy();
      app.quit();
    })();
  });
}
