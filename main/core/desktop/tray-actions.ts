// What a tray menu item does (docs/desktop.md): the one switch from a TrayAction (tray-model.ts) to
// the engine, the clipboard, the dashboard window or the app. Everything comes in as a port, so the
// switch is tested under Node; main/index.ts only plugs in the Electron pieces.
import { toTokentrayError } from '../errors.js';
import { copyFailedNotice } from './notices.js';
import type { NotificationModel } from './notification-policy.js';
import type { CopyFormat, TrayAction } from './tray-model.js';
import type { ConfigStore, Engine, Logger } from '../types.js';

/** The activity log's name for tokens the tray hands out (every consumer under its name). */
export const TRAY_CLIENT = 'tray';

export interface TrayActionDeps {
  /** Copies a profile's credential (CredentialCopier.copy, which records it as handed to `client`). */
  copy: (profileId: string, format: CopyFormat, client: string) => Promise<unknown>;
  engine: Pick<Engine, 'refresh' | 'setPaused'>;
  /** Settings are written here only: the engine's settings event carries the change to everyone else. */
  store: Pick<ConfigStore, 'updateSettings'>;
  openDashboard: (profileId?: string) => void;
  quit: () => void;
  notify: (notice: NotificationModel) => void;
  logger?: Logger;
}

export function createTrayActions(deps: TrayActionDeps): (action: TrayAction) => Promise<void> {
  return async (action) => {
    try {
      switch (action.kind) {
        case 'copy':
          await deps.copy(action.profileId, action.format, TRAY_CLIENT);
          return;
        case 'refresh':
          await deps.engine.refresh(action.profileId, { client: TRAY_CLIENT });
          return;
        case 'pause':
          await deps.engine.setPaused(action.profileId, action.paused);
          return;
        case 'open-dashboard':
          deps.openDashboard(action.profileId);
          return;
        case 'start-at-login':
          deps.store.updateSettings({ startAtLogin: action.enabled });
          return;
        case 'quit':
          deps.quit();
          return;
      }
    } catch (error) {
      // The failure is already on the profile's status (and in the policy's hands); say it once here too.
      const info = toTokentrayError(error).toInfo();
      deps.logger?.warn('tray action failed', { action: action.kind, kind: info.kind });
      if (action.kind === 'copy') deps.notify(copyFailedNotice(action.profileId, info));
    }
  };
}
