// Electron's clipboard behind the two calls ClipboardGuard needs (main/core/clipboard-guard.ts).
import { clipboard } from 'electron';
import type { ClipboardLike } from '../core/clipboard-guard.js';

export const electronClipboard: ClipboardLike = {
  readText: () => clipboard.readText(),
  writeText: (text) => clipboard.writeText(text),
};
