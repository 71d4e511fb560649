// The sandboxed preload (bundled to dist/preload/index.cjs by scripts/build.mjs): exposes the
// dashboard's verbs on `window.tokentray` through contextBridge. ipcRenderer itself never reaches
// the page (docs/desktop.md; eslint.config.js allows ipcRenderer only here and in main/electron/ipc.ts).
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge.js';

contextBridge.exposeInMainWorld('tokentray', createBridge(ipcRenderer));
