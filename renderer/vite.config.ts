// The dashboard bundle (docs/desktop.md). Relative base so the same files load from file:// in the
// Electron window and from `/` under `tokentray serve`; no inline scripts and no remote assets, so the
// strict Content-Security-Policy of both holds.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export const config = defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // The polyfill would be fine under CSP, but modern Chromium and Electron do not need it.
    modulePreload: { polyfill: false },
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  server: { host: '127.0.0.1' },
});

// Vite loads the config through its default export.
export default config;
