// A lock between processes of the same user: a file created with O_EXCL that holds the owner's pid.
// One whose process is gone, or older than `staleMs` (holders keep it for milliseconds), is stale and
// taken over. Used by the file vault around each write and by the keychain around the calls that
// must not overlap across processes.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from './runtime-file.js';

export interface LockFileOptions {
  /** How long to wait for another holder before giving up. */
  waitMs: number;
  /** A lock file older than this is a crashed holder's. */
  staleMs: number;
  /** What waiting too long means: throw its error, or (null) go ahead without the lock. */
  onBusy: () => Error | null;
  /** A lock that cannot be made at all (a read-only folder, say); default: rethrow. */
  onIoError?: (error: unknown) => Error;
}

export async function withLockFile<T>(lockPath: string, body: () => Promise<T>, options: LockFileOptions): Promise<T> {
  const deadline = Date.now() + options.waitMs;
  let delay = 5;
  let held = false;
  for (;;) {
    try {
      const handle = await fsp.open(lockPath, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      held = true;
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        await fsp.mkdir(path.dirname(lockPath), { recursive: true, mode: 0o700 }).catch(() => undefined);
        continue;
      }
      if (code !== 'EEXIST') throw options.onIoError ? options.onIoError(error) : error;
      if (await removeIfStale(lockPath, options.staleMs)) continue;
      if (Date.now() > deadline) {
        const busy = options.onBusy();
        if (busy !== null) throw busy;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 100);
    }
  }
  try {
    return await body();
  } finally {
    if (held) await fsp.rm(lockPath, { force: true }).catch(() => undefined);
  }
}

async function removeIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const [text, stat] = await Promise.all([fsp.readFile(lockPath, 'utf8'), fsp.stat(lockPath)]);
    const pid = Number.parseInt(text, 10);
    const dead = Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isProcessAlive(pid);
    // An empty file is a holder between create and write: only its age can make it stale.
    if (dead || Date.now() - stat.mtimeMs > staleMs) {
      await fsp.rm(lockPath, { force: true });
      return true;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
  }
  return false;
}
