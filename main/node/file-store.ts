// The config store outside Electron: conf (electron-store is built on it) with the options the app
// uses, so both read and write the same config.json (docs/storage.md). Before opening, a file that is
// not JSON or does not match the schema is moved aside with a timestamp and reported: conf would
// otherwise throw on every read, and `clearInvalidConfig` would drop it silently.
import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import {
  ConfBackedStore,
  checkStoredData,
  storeOptions,
  type ConfBackedStoreOptions,
  type ConfLike,
} from '../core/storage/config-store.js';
import { TokentrayError } from '../core/errors.js';

export interface CorruptReport {
  /** Where the broken file now is. */
  movedTo: string;
  /** Why it was moved aside, in plain words (never the file's content). */
  reason: string;
}

/** An opened config store, and the broken config.json moved aside on the way (the host shows it). */
export interface OpenedStore {
  store: ConfBackedStore;
  movedAside: CorruptReport | null;
}

export const CONFIG_FILE_NAME = 'config.json';

export interface FileStoreOptions extends ConfBackedStoreOptions {
  /**
   * Whether conf checks every read and write against its own JSON schema too (default true). The
   * one-shot CLI turns it off: compiling that schema with ajv costs it more than starting node, and the
   * check is a second one (the store validates every read and write with the contract's schemas, and
   * moveAsideIfBroken checks the whole file before it is opened).
   */
  confSchema?: boolean;
}

export function openFileStore(configDir: string, options: FileStoreOptions = {}): OpenedStore {
  const { confSchema = true, ...storeOptionsRest } = options;
  const dir = path.resolve(configDir);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new TokentrayError('config', `The config directory ${dir} cannot be created.`, {
      hint: 'Choose another one with --config-dir or TOKENTRAY_CONFIG_DIR.',
      cause: error,
    });
  }
  const file = path.join(dir, CONFIG_FILE_NAME);
  const movedAside = moveAsideIfBroken(file);
  let backend: ConfLike;
  try {
    const { schema, ...withoutSchema } = storeOptions(dir);
    const confOptions = confSchema ? { ...withoutSchema, schema } : withoutSchema;
    backend = new Conf(confOptions as ConstructorParameters<typeof Conf>[0]) as unknown as ConfLike;
  } catch (error) {
    throw new TokentrayError('config', `The config file ${file} cannot be opened.`, {
      hint: 'Check the permissions of the config directory.',
      cause: error,
    });
  }
  // conf applies the mode to files it writes; a file someone else created keeps its own, so tighten it.
  try {
    fs.chmodSync(file, 0o600);
  } catch {
    // Not fatal: the next write by conf sets 0600.
  }
  return { store: new ConfBackedStore(backend, { stamp: statStamp, ...storeOptionsRest }), movedAside };
}

/**
 * What a write by any process changes: conf replaces the file by a rename (a new inode), and the
 * nanosecond times catch an in-place write too.
 */
export function statStamp(file: string): string | null {
  try {
    const stat = fs.statSync(file, { bigint: true });
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
  } catch {
    return null;
  }
}

/**
 * Moves a config file that is not valid JSON or fails the schema aside (with a timestamp) and reports
 * it, before conf or electron-store opens it: nothing is silently dropped (docs/storage.md).
 */
export function moveAsideIfBroken(file: string): CorruptReport | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TokentrayError('config', `The config file ${file} cannot be read.`, {
      hint: 'Check its permissions.',
      cause: error,
    });
  }
  let reason: string | null = null;
  try {
    const check = checkStoredData(JSON.parse(text));
    if (!check.ok) {
      if (check.newer) {
        // Not ours to judge: a newer app wrote it. Leave it alone and say so.
        throw new TokentrayError('config', `The config file ${file} cannot be used: ${check.reason}.`, {
          hint: 'Update this tokentray to the version of the app that wrote the file.',
        });
      }
      reason = check.reason;
    }
  } catch (error) {
    if (error instanceof TokentrayError) throw error;
    reason = 'it is not valid JSON';
  }
  if (reason === null) return null;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let movedTo = `${file}.corrupt-${stamp}`;
  for (let n = 1; fs.existsSync(movedTo); n += 1) movedTo = `${file}.corrupt-${stamp}-${n}`;
  fs.renameSync(file, movedTo);
  return { movedTo, reason };
}
