// When the tray re-renders (docs/desktop.md): on a change of state only (a profile's state,
// a profile added, renamed, paused or removed, a setting), never per token handed out: the loopback
// API hands out thousands a second, and rebuilding the menu for each undid its hot-path tuning.
import type { ActivityKind, EngineEvent } from '../../../common/contract.js';
import type { TrayPresenter } from './tray-model.js';
import type { ConfigStore, Engine } from '../types.js';
import type { LockableVault } from '../storage/vault-control.js';

/**
 * Activity entries that change what the tray shows: its profiles, their names and pause. (The engine
 * reports these as activity; a token handed out, a refresh or a client key change the tray not at
 * all, or come with a profile event of their own.)
 */
const TRAY_ACTIVITY: ReadonlySet<ActivityKind> = new Set(['profile-added', 'profile-updated', 'profile-removed', 'paused', 'resumed']);

/** Whether an engine event changes what the tray shows. */
export function changesTray(event: EngineEvent): boolean {
  return event.type !== 'activity' || TRAY_ACTIVITY.has(event.entry.kind);
}

export interface TrayUpdateDeps {
  engine: Pick<Engine, 'statuses' | 'onDidEmit'>;
  store: Pick<ConfigStore, 'getSettings'>;
  presenter: Pick<TrayPresenter, 'update'>;
  /** The file vault: the tray says "locked" until it is unlocked (docs/storage.md). */
  vault?: Pick<LockableVault, 'state' | 'onDidChangeState'>;
}

export interface TrayUpdates {
  /** Renders the current state now (at start). */
  render(): void;
  dispose(): void;
}

export function setupTrayUpdates(deps: TrayUpdateDeps): TrayUpdates {
  const render = (): void => deps.presenter.update(deps.engine.statuses(), deps.store.getSettings(), deps.vault !== undefined && deps.vault.state !== 'unlocked');
  // The engine follows the store (its own writes and the CLI's), so its events are the one way any
  // change, settings included, reaches the tray.
  const unsubscribe = deps.engine.onDidEmit((event) => {
    if (changesTray(event)) render();
  });
  const unsubscribeVault = deps.vault?.onDidChangeState(() => render());
  return {
    render,
    dispose: () => {
      unsubscribe();
      unsubscribeVault?.();
    },
  };
}
