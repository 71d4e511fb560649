// The one writer of token files (SPEC section 7; docs/sinks.md). A file is only ever written into a
// real folder of this user that nobody else may write, through a temporary file created exclusively
// (O_CREAT|O_EXCL|O_NOFOLLOW) beside it at the final mode, flushed, renamed over the target and the
// folder flushed, so a reader sees the old file or the new one, never a part, and a link planted at
// the target is replaced rather than followed. No backup is kept; unchanged content is not rewritten.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { TokentrayError } from '../core/errors.js';

const POSIX = process.platform !== 'win32';
// Windows has no O_NOFOLLOW (and no POSIX modes): there the flag is 0 and modes are not applied.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const DIRECTORY = constants.O_DIRECTORY ?? 0;

function refused(message: string, hint: string): TokentrayError {
  return new TokentrayError('config', message, { hint });
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** Why the folder may not hold a token file, as an error; nothing when it may. */
export async function checkSinkFolder(dir: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(dir);
  } catch (error) {
    if (code(error) === 'ENOENT') throw refused(`The folder ${dir} does not exist.`, `Create it first, e.g. \`mkdir -m 700 ${dir}\`.`);
    throw refused(`The folder ${dir} cannot be read (${code(error) ?? 'error'}).`, 'Check its permissions.');
  }
  if (stats.isSymbolicLink()) {
    throw refused(`The folder ${dir} is a symbolic link; token files are only written into a real folder.`, 'Give the path through the folder the link points to, if that folder is yours.');
  }
  if (!stats.isDirectory()) throw refused(`${dir} is not a folder.`, 'Give a path inside a folder of yours.');
  if (!POSIX) return;
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw refused(`The folder ${dir} belongs to another user (uid ${stats.uid}), who could swap the token file.`, 'Use a folder of your own, e.g. one under your home directory or $XDG_RUNTIME_DIR.');
  }
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    throw refused(`The folder ${dir} may be written by others (mode ${mode}), who could swap the token file.`, `Use a folder only you may write, or run \`chmod go-w ${dir}\`.`);
  }
}

/** Checks made when a sink is added: an absolute path in a safe folder, and not a link or folder itself. */
export async function checkSinkTarget(path: string): Promise<void> {
  if (!isAbsolute(path)) throw refused(`The path ${path} is relative.`, 'Give an absolute path, e.g. "$PWD/token" or ~/.config/app/token.');
  await checkSinkFolder(dirname(path));
  try {
    const stats = await lstat(path);
    if (stats.isSymbolicLink()) throw refused(`${path} is a symbolic link; a token file is never written through one.`, 'Remove the link, or give the path of the file itself.');
    if (!stats.isFile()) throw refused(`${path} exists and is not a regular file.`, 'Give the path of a file, not of a folder or device.');
  } catch (error) {
    if (code(error) !== 'ENOENT') throw error;
  }
}

/** Whether the target already holds exactly this content at this mode (then it is not rewritten). */
async function holds(path: string, data: Buffer, mode: number): Promise<boolean> {
  let stats;
  try {
    stats = await lstat(path);
  } catch {
    return false;
  }
  if (!stats.isFile() || stats.size !== data.length) return false;
  // A mode or owner changed by someone else is put right by a rewrite (modes are re-applied every time).
  if (POSIX && ((stats.mode & 0o7777) !== mode || stats.uid !== process.getuid?.())) return false;
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, constants.O_RDONLY | NOFOLLOW);
    return data.equals(await handle.readFile());
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

async function syncFolder(dir: string): Promise<void> {
  if (!POSIX) return;
  const handle = await open(dir, constants.O_RDONLY | DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function writeFailed(path: string, error: unknown): TokentrayError {
  if (error instanceof TokentrayError) return error;
  return refused(`The token file ${path} could not be written (${code(error) ?? 'error'}).`, 'Check the folder\'s permissions and free space.');
}

/** Writes `content` to `path` atomically at exactly `mode`; 'unchanged' when it already held it. */
export async function writeSinkFile(path: string, content: string, mode: number): Promise<'written' | 'unchanged'> {
  const dir = dirname(path);
  await checkSinkFolder(dir);
  const data = Buffer.from(content, 'utf8');
  if (await holds(path, data, mode)) return 'unchanged';
  // A short name: the target's own name may already be as long as a name can be.
  const temp = join(dir, `.tokentray-${randomBytes(8).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, mode);
    // The umask may have taken bits from the mode asked for; the file gets exactly it, before any byte.
    if (POSIX) await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    // rename replaces a link planted at the target without following it.
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw writeFailed(path, error);
  }
  await syncFolder(dir).catch(() => {});
  return 'written';
}

/**
 * Removes the token file: only a regular file (a link or folder put there is not ours), only in a
 * folder that passes the same checks. True when a file was removed.
 */
export async function removeSinkFile(path: string): Promise<boolean> {
  const dir = dirname(path);
  await checkSinkFolder(dir);
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if (code(error) === 'ENOENT') return false;
    throw writeFailed(path, error);
  }
  if (!stats.isFile()) return false;
  try {
    await unlink(path);
  } catch (error) {
    if (code(error) === 'ENOENT') return false;
    throw refused(`The token file ${path} could not be removed (${code(error) ?? 'error'}).`, 'Remove it by hand; it may hold an expired token.');
  }
  await syncFolder(dir).catch(() => {});
  return true;
}

/** The name a temporary file of this writer has, for tests and clean-up. */
export function isSinkTempName(name: string): boolean {
  return /^\.tokentray-[0-9a-f]{16}\.tmp$/.test(basename(name));
}
