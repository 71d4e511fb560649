// Start at login (docs/desktop.md) follows the setting: applied at start and on every settings
// event of the engine (written by the dashboard, the tray or the CLI alike).
import { toTokentrayError } from '../errors.js';
import type { ConfigStore, Engine, Logger } from '../types.js';

/** The operating system's login item (main/electron/auto-start.ts implements it). */
export interface AutoStartPort {
  isEnabled(): boolean;
  setEnabled(enabled: boolean): void;
}

export interface StartAtLoginDeps {
  autoStart: AutoStartPort;
  engine: Pick<Engine, 'onDidEmit'>;
  store: Pick<ConfigStore, 'getSettings'>;
  logger?: Logger;
}

export function setupStartAtLogin(deps: StartAtLoginDeps): { apply(): void; dispose(): void } {
  const apply = (enabled: boolean): void => {
    try {
      if (deps.autoStart.isEnabled() !== enabled) deps.autoStart.setEnabled(enabled);
    } catch (error) {
      deps.logger?.warn('start at login could not be changed', { kind: toTokentrayError(error).kind });
    }
  };
  const dispose = deps.engine.onDidEmit((event) => {
    if (event.type === 'settings') apply(event.settings.startAtLogin);
  });
  return { apply: () => apply(deps.store.getSettings().startAtLogin), dispose };
}
