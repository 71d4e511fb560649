// The tray as the app runs it: the Electron view (tray.ts), the presenter that touches only what
// changed (core/tray-model.ts), the action switch (core/tray-actions.ts) and the re-render rule
// (core/tray-updates.ts: state changes only).
import { createTrayActions, type TrayActionDeps } from '../core/desktop/tray-actions.js';
import { TrayPresenter } from '../core/desktop/tray-model.js';
import { setupTrayUpdates, type TrayUpdateDeps } from '../core/desktop/tray-updates.js';
import { ElectronTrayView } from './tray.js';

export interface TraySetupDeps extends TrayActionDeps {
  assetsDir: string;
  engine: TrayActionDeps['engine'] & TrayUpdateDeps['engine'];
  store: TrayActionDeps['store'] & TrayUpdateDeps['store'];
  vault?: TrayUpdateDeps['vault'];
}

export interface AppTray {
  presenter: TrayPresenter;
  /** Renders the current state (once the engine started). */
  render(): void;
  dispose(): void;
}

export function setupTray(deps: TraySetupDeps): AppTray {
  let presenter: TrayPresenter | null = null;
  const view = new ElectronTrayView({
    assetsDir: deps.assetsDir,
    onItemClick: (itemId) => void presenter?.trigger(itemId),
    onIconClick: () => deps.openDashboard(),
  });
  presenter = new TrayPresenter(view, createTrayActions(deps));
  const updates = setupTrayUpdates({ engine: deps.engine, store: deps.store, presenter, ...(deps.vault === undefined ? {} : { vault: deps.vault }) });
  return {
    presenter,
    render: updates.render,
    dispose() {
      updates.dispose();
      view.destroy();
    },
  };
}
