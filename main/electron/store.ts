// The app's JSON store: electron-store with the very options the CLI's conf uses
// (main/core/storage/config-store.ts storeOptions), so the tray app and `tokentray` read and write one
// config.json (docs/storage.md). A broken file is moved aside and reported before opening, never
// silently replaced (clearInvalidConfig is false in storeOptions).
import fs from 'node:fs';
import path from 'node:path';
import ElectronStore from 'electron-store';
import { ConfBackedStore, storeOptions, type ConfLike } from '../core/storage/config-store.js';
import type { Logger } from '../core/types.js';
import { moveAsideIfBroken, statStamp, type OpenedStore } from '../node/file-store.js';

export function openElectronStore(configDir: string, logger?: Logger): OpenedStore {
  fs.mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const movedAside = moveAsideIfBroken(path.join(configDir, 'config.json'));
  if (movedAside) logger?.warn('the config file was broken and has been moved aside', { movedTo: movedAside.movedTo, reason: movedAside.reason });
  const backend = new ElectronStore(storeOptions(configDir) as ConstructorParameters<typeof ElectronStore>[0]) as unknown as ConfLike;
  return { store: new ConfBackedStore(backend, logger ? { logger, stamp: statStamp } : { stamp: statStamp }), movedAside };
}

