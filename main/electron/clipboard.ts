// Electron's clipboard behind the two calls ClipboardGuard needs (main/core/desktop/clipboard-guard.ts).
import { clipboard } from 'electron';
import type { ClipboardLike } from '../core/desktop/clipboard-guard.js';

export const electronClipboard: ClipboardLike = {
  readText: () => clipboard.readText(),
  writeText: (text) => clipboard.writeText(text),
};
