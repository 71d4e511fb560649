// What the tray app adds to a host (main/node/host.ts): the clipboard guard, notifications, start at
// login, the tray, IPC to the dashboard window and the test hooks, wired to the host's core before it
// listens. Every decision lives in main/core and is unit-tested there; this file only wires.
import { ClipboardGuard, CredentialCopier } from '../core/desktop/clipboard-guard.js';
import { configMovedAsideNotice, sharedCacheRefusedNotice, socketRefusedNotice } from '../core/desktop/notices.js';
import { FleetNotices } from '../core/desktop/fleet-notices.js';
import { NotificationPolicy } from '../core/desktop/notification-policy.js';
import { setupNotifications } from '../core/desktop/notification-wiring.js';
import { systemClock } from '../core/clock.js';
import { setupStartAtLogin } from '../core/desktop/start-at-login.js';
import type { Logger } from '../core/types.js';
import { isAppUrl } from '../core/desktop/window-policy.js';
import type { Host, StartedHost } from '../node/host.js';
import { createAutoStart } from './auto-start.js';
import { electronClipboard } from './clipboard.js';
import { pushEngineEvent, setupIpc } from './ipc.js';
import { ElectronNotifier } from './notifications.js';
import { createTestHooks, installTestHooks, testHooksEnabled } from './test-hooks.js';
import { setupTray } from './tray-setup.js';
import type { DashboardWindow } from './window.js';
import type { App } from 'electron';

export interface DesktopDeps {
  host: Host;
  app: App;
  dashboard: DashboardWindow;
  assetsDir: string;
  iconPath: string;
  argv: readonly string[];
  logger: Logger;
}

export interface Desktop {
  /** Copies a profile's credential for the dashboard's copy buttons (guarded, cleared later). */
  copy(profileId: string, what: 'token' | 'header' | 'curl'): Promise<boolean>;
  /** The host listens: show the tray, apply start at login, announce the current states. */
  ready(started: StartedHost): void;
  dispose(): void;
}

export async function setupDesktop(deps: DesktopDeps): Promise<Desktop> {
  const { host, app, dashboard, logger } = deps;
  const { core, store } = host;
  const { engine } = core;
  const guard = new ClipboardGuard({ clipboard: electronClipboard, clock: systemClock, getClearSec: () => store.getSettings().clipboardClearSec });
  const copier = new CredentialCopier({ engine, store, guard });

  const notifier = new ElectronNotifier({ openDashboard: (profileId) => dashboard.show(profileId), iconPath: deps.iconPath });
  const policy = new NotificationPolicy({ clock: systemClock, getSettings: () => store.getSettings() });
  const notifications = setupNotifications({ engine, policy, show: (notification) => notifier.show(notification) });
  if (host.movedAside) notifier.show(configMovedAsideNotice(host.movedAside));
  if (host.sharedCacheRefused) notifier.show(sharedCacheRefusedNotice(host.sharedCacheRefused));
  // Redis away for a while, and back: the fleet joined at start, or later in the dashboard.
  const fleetNotices = new FleetNotices({ clock: systemClock, show: (notice) => notifier.show(notice), enabled: () => store.getSettings().notifications });
  fleetNotices.follow(host.sharedCache);
  const stopFollowingFleet = host.onDidChangeSharedCache((cache) => fleetNotices.follow(cache));
  const startAtLogin = setupStartAtLogin({ autoStart: createAutoStart(process.platform, app), engine, store, logger });
  const tray = setupTray({
    assetsDir: deps.assetsDir,
    engine,
    store,
    copy: async (profileId, format, client) => copier.copy(profileId, format, client),
    openDashboard: (profileId) => dashboard.show(profileId),
    quit: () => app.quit(),
    notify: (notice) => notifier.show(notice),
    logger,
    ...(core.vault === null ? {} : { vault: core.vault }),
  });
  const disposeIpc = await setupIpc({
    handlers: core.rpc,
    getDashboardWebContentsId: () => dashboard.webContentsId(),
    onRefused: (channel, reason) => logger.warn('refused an IPC call', { channel, reason }),
  });
  const disposePush = engine.onDidEmit((event) => pushEngineEvent(dashboard.webContents(), event, isAppUrl));
  if (testHooksEnabled(deps.argv, process.env)) {
    installTestHooks(createTestHooks({ presenter: tray.presenter, policy, engine, readClipboard: () => electronClipboard.readText() }));
  }

  return {
    copy: (profileId, what) => copier.copy(profileId, what, 'dashboard'),
    ready(started) {
      // The tray keeps working without the socket, but the person should know why the CLI needs a key.
      if (started.socketRefused !== null) notifier.show(socketRefusedNotice(started.socketRefused));
      startAtLogin.apply();
      tray.render();
      notifications.announceCurrent();
    },
    dispose() {
      for (const dispose of [stopFollowingFleet, () => fleetNotices.dispose(), disposePush, disposeIpc, startAtLogin.dispose, notifications.dispose, () => guard.dispose(), () => notifier.dispose(), tray.dispose]) dispose();
    },
  };
}
