// The Electron entry: the host (main/node/host.ts, the same lifecycle as `tokentray serve`) with the
// tray's policies and the Electron adapters, in order (electron/fiddle's main.ts is the model).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, powerMonitor, protocol, session } from 'electron';
import { toTokentrayError } from './core/errors.js';
import { createLogger } from './core/logger.js';
import type { Logger } from './core/types.js';
import { setupDesktop, type Desktop } from './electron/desktop.js';
import { onPowerResume } from './electron/power.js';
import { setupSingleInstance } from './electron/single-instance.js';
import { openElectronStore } from './electron/store.js';
import { DashboardWindow, hardenSession, hardenWebContents, registerAppScheme, serveAppProtocol } from './electron/window.js';
import { exitCodeOf } from './node/cli/output.js';
import { resolveConfigDir } from './node/config-dir.js';
import { openHost, type Host } from './node/host.js';
import { packageRoot } from './node/package-root.js';

// The project (or app.asar) root, where dist/ and assets/ live.
const appRoot = packageRoot(fileURLToPath(import.meta.url));
const assetsDir = path.join(appRoot, 'assets');
const iconPath = path.join(assetsDir, 'icon.png');

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
const dashboard = new DashboardWindow({ preloadPath: path.join(appRoot, 'dist', 'preload', 'index.cjs'), iconPath, isQuitting: () => quitting });

if (setupSingleInstance(app, () => dashboard.show())) {
  hardenWebContents(app);
  // Closing the last window keeps the tray app running.
  app.on('window-all-closed', () => undefined);
  app.whenReady().then(run).catch((error: unknown) => {
    const problem = toTokentrayError(error);
    log.error('Tokentray could not start', { kind: problem.kind, message: problem.message, hint: problem.hint });
    app.exit(exitCodeOf(problem.kind));
  });
}

async function run(): Promise<void> {
  hardenSession(session.defaultSession);
  serveAppProtocol(session.defaultSession, path.join(appRoot, 'dist', 'renderer'));
  let desktop: Desktop | null = null;
  const host = await openHost({
    mode: 'tray',
    configDir,
    version: app.getVersion(),
    env: process.env,
    openStore: () => openElectronStore(configDir, logger('store')),
    vaultFlag: flagValue(argv, '--vault'),
    // A person is looking at the tray: it keeps working on a free port, or without the socket, and
    // says why; programs find the port through runtime.json.
    busyPort: 'fall-back',
    refusedSocket: 'warn',
    brokenConfig: 'continue',
    badSharedCache: 'warn',
    logger: logger('engine'),
    say: (line) => log.info(line),
    clipboard: { copy: async (profileId, what) => (desktop === null ? false : desktop.copy(profileId, what)) },
    onResume: (listener) => onPowerResume(powerMonitor, listener),
  });
  desktop = await setupDesktop({ host, app, dashboard, assetsDir, iconPath, argv, logger: log });
  desktop.ready(await host.start());
  showDashboardUnlessHidden();
  setupQuit(host, desktop);
}

function showDashboardUnlessHidden(): void {
  const hidden = argv.includes('--hidden') || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
  if (!hidden) dashboard.show();
}

/** Quit stops the adapters, then the host (API, socket, engine, vault) before the process ends. */
function setupQuit(host: Host, desktop: Desktop): void {
  let stopped = false;
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return;
    event.preventDefault();
    stopped = true;
    void (async () => {
      desktop.dispose();
      await host.stop();
      dashboard.destroy();
      app.quit();
    })();
  });
}
