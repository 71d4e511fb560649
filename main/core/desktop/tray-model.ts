// The tray as data (docs/desktop.md): which icon, which tooltip and which menu, from the profiles'
// statuses and the settings. The Electron adapter (main/electron/tray.ts) only renders this model,
// so every decision here is unit-tested under Node.
import type { ProfileState, ProfileStatus, Settings } from '../../../common/contract.js';
import { STATE_WORDS } from '../../../common/states.js';

/** The icon's look tells the worst state: all fresh / something expiring or refreshing / something failing. */
export type TrayIconState = 'fresh' | 'warning' | 'error';

export type CopyFormat = 'token' | 'header' | 'curl';

/** What a menu item does when clicked. The adapter maps each kind onto the engine or the app. */
export type TrayAction =
  | { kind: 'copy'; profileId: string; format: CopyFormat }
  | { kind: 'refresh'; profileId: string }
  | { kind: 'pause'; profileId: string; paused: boolean }
  | { kind: 'open-dashboard'; profileId?: string }
  | { kind: 'start-at-login'; enabled: boolean }
  | { kind: 'quit' };

export type TrayMenuItem =
  | { type: 'action'; id: string; label: string; enabled: boolean; action: TrayAction }
  | { type: 'checkbox'; id: string; label: string; checked: boolean; action: TrayAction }
  | { type: 'submenu'; id: string; label: string; items: TrayMenuItem[] }
  | { type: 'separator'; id: string };

export interface TrayModel {
  icon: TrayIconState;
  tooltip: string;
  menu: TrayMenuItem[];
  /**
   * Changes exactly when the menu's structure, labels or enabled/checked flags change. The adapter
   * rebuilds the native menu only then: rebuilding on every countdown tick makes an open menu
   * flicker and close on some desktops.
   */
  menuKey: string;
}

const ERROR_STATES: ReadonlySet<ProfileState> = new Set(['error', 'expired']);
const WARNING_STATES: ReadonlySet<ProfileState> = new Set(['expiring', 'refreshing']);

/** The tooltip's order: worst first. */
const TOOLTIP_ORDER: readonly ProfileState[] = ['error', 'expired', 'expiring', 'refreshing', 'fresh', 'paused'];

/** Paused profiles never raise the icon: a person chose to stop them. */
export function iconStateFor(statuses: readonly ProfileStatus[]): TrayIconState {
  if (statuses.some((status) => ERROR_STATES.has(status.state))) return 'error';
  if (statuses.some((status) => WARNING_STATES.has(status.state))) return 'warning';
  return 'fresh';
}

/** e.g. "Tokentray: 2 fresh, 1 failing (acquia-prod)". Tooltips stay short; Windows cuts them at 127. */
export function tooltipFor(statuses: readonly ProfileStatus[]): string {
  if (statuses.length === 0) return 'Tokentray: no profiles yet';
  const counts = new Map<ProfileState, number>();
  for (const status of statuses) counts.set(status.state, (counts.get(status.state) ?? 0) + 1);
  const parts = TOOLTIP_ORDER.filter((state) => counts.has(state)).map((state) => `${counts.get(state)} ${STATE_WORDS[state]}`);
  const failing = statuses.filter((status) => ERROR_STATES.has(status.state)).map((status) => status.id);
  let text = `Tokentray: ${parts.join(', ')}`;
  if (failing.length > 0) text += ` (${failing.join(', ')})`;
  return text.length > 127 ? `${text.slice(0, 126)}…` : text;
}

function profileSubmenu(status: ProfileStatus): TrayMenuItem {
  const paused = status.state === 'paused';
  const base = `profile:${status.id}`;
  const copy = (format: CopyFormat, label: string): TrayMenuItem => ({
    type: 'action',
    id: `${base}:copy-${format}`,
    label,
    // A paused profile hands out nothing (the engine refuses), so its copy items are greyed out.
    enabled: !paused,
    action: { kind: 'copy', profileId: status.id, format },
  });
  return {
    type: 'submenu',
    id: base,
    label: `${status.name} (${STATE_WORDS[status.state]})`,
    items: [
      copy('token', 'Copy token'),
      copy('header', 'Copy Authorization header'),
      copy('curl', 'Copy curl example'),
      { type: 'separator', id: `${base}:sep` },
      {
        type: 'action',
        id: `${base}:refresh`,
        label: 'Refresh now',
        enabled: !paused,
        action: { kind: 'refresh', profileId: status.id },
      },
      {
        type: 'action',
        id: `${base}:pause`,
        label: paused ? 'Resume' : 'Pause',
        enabled: true,
        action: { kind: 'pause', profileId: status.id, paused: !paused },
      },
      {
        type: 'action',
        id: `${base}:open`,
        label: 'Show in dashboard',
        enabled: true,
        action: { kind: 'open-dashboard', profileId: status.id },
      },
    ],
  };
}

export function buildTrayMenu(statuses: readonly ProfileStatus[], settings: Pick<Settings, 'startAtLogin'>, locked = false): TrayMenuItem[] {
  const menu: TrayMenuItem[] = [];
  if (locked) {
    // The file vault waits for its passphrase (docs/storage.md): the window's lock screen asks for it.
    menu.push({ type: 'action', id: 'vault-locked', label: 'Locked: unlock in the dashboard', enabled: true, action: { kind: 'open-dashboard' } });
  } else if (statuses.length === 0) {
    menu.push({
      type: 'action',
      id: 'no-profiles',
      label: 'No profiles yet: add one in the dashboard',
      enabled: false,
      action: { kind: 'open-dashboard' },
    });
  }
  menu.push(...[...statuses].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)).map(profileSubmenu));
  menu.push(
    { type: 'separator', id: 'sep-app' },
    { type: 'action', id: 'open-dashboard', label: 'Open dashboard', enabled: true, action: { kind: 'open-dashboard' } },
    {
      type: 'checkbox',
      id: 'start-at-login',
      label: 'Start at login',
      checked: settings.startAtLogin,
      action: { kind: 'start-at-login', enabled: !settings.startAtLogin },
    },
    { type: 'separator', id: 'sep-quit' },
    { type: 'action', id: 'quit', label: 'Quit Tokentray', enabled: true, action: { kind: 'quit' } },
  );
  return menu;
}

/** A cheap structural key: the menu is plain data, so its JSON is exactly its structure. */
export function menuKeyOf(menu: readonly TrayMenuItem[]): string {
  return JSON.stringify(menu);
}

export function buildTrayModel(statuses: readonly ProfileStatus[], settings: Pick<Settings, 'startAtLogin'>, locked = false): TrayModel {
  const menu = buildTrayMenu(locked ? [] : statuses, settings, locked);
  if (locked) return { icon: 'warning', tooltip: 'Tokentray: locked (open the dashboard to unlock the vault)', menu, menuKey: menuKeyOf(menu) };
  return { icon: iconStateFor(statuses), tooltip: tooltipFor(statuses), menu, menuKey: menuKeyOf(menu) };
}

/** Finds an item by id anywhere in the menu (the test hook and the adapter's click routing use it). */
export function findMenuItem(menu: readonly TrayMenuItem[], id: string): TrayMenuItem | undefined {
  for (const item of menu) {
    if (item.id === id) return item;
    if (item.type === 'submenu') {
      const found = findMenuItem(item.items, id);
      if (found) return found;
    }
  }
  return undefined;
}

/** What the tray adapter can do; main/electron/tray.ts implements it with Electron's Tray and Menu. */
export interface TrayView {
  setIcon(state: TrayIconState): void;
  setTooltip(text: string): void;
  /** Replaces the whole native menu; clicks come back through TrayPresenter.trigger(item.id). */
  setMenu(menu: readonly TrayMenuItem[]): void;
}

/**
 * Pushes the model to the view, touching only what changed: the icon when its state changes, the
 * tooltip when its text changes, the menu only when its key changes (no flicker).
 */
export class TrayPresenter {
  readonly #view: TrayView;
  readonly #onAction: (action: TrayAction) => Promise<void> | void;
  #model: TrayModel | null = null;

  constructor(view: TrayView, onAction: (action: TrayAction) => Promise<void> | void) {
    this.#view = view;
    this.#onAction = onAction;
  }

  get model(): TrayModel | null {
    return this.#model;
  }

  update(statuses: readonly ProfileStatus[], settings: Pick<Settings, 'startAtLogin'>, locked = false): void {
    const next = buildTrayModel(statuses, settings, locked);
    const previous = this.#model;
    this.#model = next;
    if (previous?.icon !== next.icon) this.#view.setIcon(next.icon);
    if (previous?.tooltip !== next.tooltip) this.#view.setTooltip(next.tooltip);
    if (previous?.menuKey !== next.menuKey) this.#view.setMenu(next.menu);
  }

  /**
   * Runs the action of a menu item of the current model; a disabled or unknown item does nothing
   * (a click can race a rebuild). Resolves when the action is done.
   */
  async trigger(itemId: string): Promise<boolean> {
    const item = this.#model ? findMenuItem(this.#model.menu, itemId) : undefined;
    if (!item || item.type === 'separator' || item.type === 'submenu') return false;
    if (item.type === 'action' && !item.enabled) return false;
    await this.#onAction(item.action);
    return true;
  }
}
