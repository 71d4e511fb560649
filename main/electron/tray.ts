// Electron's Tray and Menu as a TrayView (main/core/desktop/tray-model.ts): the presenter decides what
// changed; this file only turns the model into native objects and routes clicks back by item id.
import path from 'node:path';
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import type { TrayIconState, TrayMenuItem, TrayView } from '../core/desktop/tray-model.js';

export interface TrayDeps {
  assetsDir: string;
  platform?: NodeJS.Platform;
  /** Clicks on menu items, by model item id. */
  onItemClick: (itemId: string) => void;
  /** A click on the icon itself (Windows/Linux open the dashboard). */
  onIconClick: () => void;
  createTray?: (image: NativeImage) => Tray;
}

/**
 * Icon file for a state. macOS gets template images (black + alpha, recoloured by the menu bar);
 * nativeImage picks the @2x file beside the 1x one on HiDPI screens by itself.
 */
export function trayIconPath(assetsDir: string, state: TrayIconState, platform: NodeJS.Platform): string {
  return path.join(assetsDir, platform === 'darwin' ? `tray-${state}Template.png` : `tray-${state}.png`);
}

export function toMenuTemplate(items: readonly TrayMenuItem[], onItemClick: (itemId: string) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    switch (item.type) {
      case 'separator':
        return { type: 'separator', id: item.id };
      case 'submenu':
        return { id: item.id, label: item.label, submenu: toMenuTemplate(item.items, onItemClick) };
      case 'checkbox':
        return { id: item.id, type: 'checkbox', label: item.label, checked: item.checked, click: () => onItemClick(item.id) };
      case 'action':
        return { id: item.id, label: item.label, enabled: item.enabled, click: () => onItemClick(item.id) };
    }
  });
}

export class ElectronTrayView implements TrayView {
  readonly #deps: TrayDeps;
  readonly #platform: NodeJS.Platform;
  #tray: Tray | null = null;
  readonly #images = new Map<TrayIconState, NativeImage>();

  constructor(deps: TrayDeps) {
    this.#deps = deps;
    this.#platform = deps.platform ?? process.platform;
  }

  #image(state: TrayIconState): NativeImage {
    let image = this.#images.get(state);
    if (!image) {
      image = nativeImage.createFromPath(trayIconPath(this.#deps.assetsDir, state, this.#platform));
      if (this.#platform === 'darwin') image.setTemplateImage(true);
      this.#images.set(state, image);
    }
    return image;
  }

  setIcon(state: TrayIconState): void {
    const image = this.#image(state);
    if (!this.#tray) {
      this.#tray = this.#deps.createTray ? this.#deps.createTray(image) : new Tray(image);
      this.#tray.on('click', () => this.#deps.onIconClick());
      return;
    }
    this.#tray.setImage(image);
  }

  setTooltip(text: string): void {
    this.#tray?.setToolTip(text);
  }

  setMenu(menu: readonly TrayMenuItem[]): void {
    this.#tray?.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(menu, this.#deps.onItemClick)));
  }

  destroy(): void {
    this.#tray?.destroy();
    this.#tray = null;
  }
}
