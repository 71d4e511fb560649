// The app's own local socket (docs/http-api.md): the loopback API also served on a Unix
// domain socket only its user can open, as ssh-agent does, so the socket's permissions are its
// authentication and the CLI needs no client key. The directory is 0700 and ours (that is what
// keeps other users out: macOS and the BSDs ignore a socket's own mode), the socket 0600. A path
// that is a symlink, or a directory owned by someone else or open to others, is refused; a stale
// socket from a crashed app is replaced only once a connect attempt proves nothing answers there.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, unlinkSync, chmodSync, type Stats } from 'node:fs';
import { connect } from 'node:net';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { clientNameSchema } from '../../common/contract.js';
import type { Caller } from '../core/api/caller-auth.js';
import type { Door } from '../core/api/middleware.js';
import { HttpProblem } from '../core/api/problem.js';
import { TokentrayError } from '../core/errors.js';
import { appDataDir, APP_DIR_NAME } from './config-dir.js';
import { withLockFile } from './lock-file.js';

/** The socket of the default config directory; another config directory gets a name of its own. */
export const DEFAULT_SOCKET_NAME = 'api.sock';

/** sun_path is 108 bytes on Linux and 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 103;

/**
 * Where the app for this config directory listens: TOKENTRAY_SOCKET, else
 * $XDG_RUNTIME_DIR/tokentray/, else a per-user folder in the temp directory (macOS's TMPDIR is per
 * user already). Null on Windows, where the CLI keeps using the TCP API with its key.
 */
export function resolveSocketPath(configDir: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  if (env.TOKENTRAY_SOCKET) return path.resolve(env.TOKENTRAY_SOCKET);
  if (platform === 'win32') return null;
  const dir = env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'tokentray') : path.join(os.tmpdir(), `tokentray-${myUid() ?? 0}`);
  // Two apps with different config directories (tests, a second profile set) must not share a socket.
  const isDefault = path.resolve(configDir) === path.join(appDataDir(platform, env), APP_DIR_NAME);
  const name = isDefault ? DEFAULT_SOCKET_NAME : `api-${createHash('sha256').update(path.resolve(configDir)).digest('hex').slice(0, 12)}.sock`;
  return path.join(dir, name);
}

/** The header a socket caller may name itself with in the activity log (default `cli`). */
export const CLIENT_NAME_HEADER = 'X-Tokentray-Client';
const LOCAL_CLI: Caller = Object.freeze({ name: 'cli', profiles: null });

/**
 * The socket's door: every caller is this user, with every profile (no key, no record), recorded
 * under the name in X-Tokentray-Client when it sends one, else `cli`.
 */
export function localSocketDoor(): Door {
  return {
    kind: 'local',
    caller: (req) => {
      const raw = req.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        if ((raw[i] as string).toLowerCase() !== 'x-tokentray-client') continue;
        const name = (raw[i + 1] as string).trim();
        // The same rule as a client key's name (the contract's), since both are names in the log.
        if (!clientNameSchema.safeParse(name).success) {
          throw new HttpProblem(400, 'usage', `The ${CLIENT_NAME_HEADER} header must be 1-64 characters of letters, digits, . _ -.`);
        }
        return { name, profiles: null };
      }
      return LOCAL_CLI;
    },
  };
}

function refused(message: string, hint: string): TokentrayError {
  return new TokentrayError('config', message, { hint });
}

function lstatOrNull(file: string): Stats | null {
  try {
    return lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

const myUid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);

/** Creates the socket's directory 0700 if needed, and refuses one that is a symlink, not ours, or open to others. */
export function prepareSocketDir(dir: string): void {
  if (lstatOrNull(dir) === null) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  const hint = `Use a directory of your own with mode 0700 (chmod 700 ${dir}), or set TOKENTRAY_SOCKET to a path in one.`;
  if (stat.isSymbolicLink()) throw refused(`The socket directory ${dir} is a symbolic link; it is not used.`, hint);
  if (!stat.isDirectory()) throw refused(`The socket directory ${dir} is not a directory.`, hint);
  const uid = myUid();
  if (uid !== null && stat.uid !== uid) throw refused(`The socket directory ${dir} belongs to another user (uid ${stat.uid}); it is not used.`, hint);
  if ((stat.mode & 0o077) !== 0) {
    throw refused(`The socket directory ${dir} is open to other users (mode ${(stat.mode & 0o777).toString(8)}); it is not used.`, hint);
  }
}

/** Whether something accepts connections on the socket: ECONNREFUSED or ENOENT mean a stale file. */
export function probeSocket(file: string, timeoutMs = 1000): Promise<'live' | 'stale'> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: file });
    const timer = setTimeout(() => {
      // Something holds it open without accepting quickly: not ours to replace.
      socket.destroy();
      resolve('live');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve('stale');
      else reject(refused(`The socket ${file} cannot be checked (${error.code ?? 'error'}).`, 'Remove it if no Tokentray runs, or set TOKENTRAY_SOCKET to another path.'));
    });
  });
}

/** Makes the path free for a new socket: nothing there, or a stale socket of ours, removed. */
async function claimSocketPath(file: string): Promise<void> {
  const stat = lstatOrNull(file);
  if (stat === null) return;
  const hint = 'Remove it if no Tokentray runs, or set TOKENTRAY_SOCKET to another path.';
  if (stat.isSymbolicLink()) throw refused(`The socket path ${file} is a symbolic link; it is not used.`, hint);
  if (!stat.isSocket()) throw refused(`The socket path ${file} is taken by something that is not a socket.`, hint);
  const uid = myUid();
  if (uid !== null && stat.uid !== uid) throw refused(`The socket ${file} belongs to another user (uid ${stat.uid}).`, hint);
  if ((await probeSocket(file)) === 'live') {
    throw refused(`Another Tokentray already answers on ${file}.`, 'Stop it first, or give this one another socket with TOKENTRAY_SOCKET (or another --config-dir).');
  }
  unlinkSync(file);
}

export interface LocalSocket {
  readonly path: string;
  /** Closes the listener and removes the socket file if it is still ours. */
  close(): Promise<void>;
}

/**
 * Listens on the user-only socket with a server made by the loopback server's createListener (door
 * `local`). The socket file is removed on close, and on process exit if close never ran.
 */
export async function listenOnLocalSocket(server: Server, file: string): Promise<LocalSocket> {
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH_BYTES) {
    throw refused(`The socket path ${file} is too long for a Unix socket (${Buffer.byteLength(file)} bytes, at most ${MAX_SOCKET_PATH_BYTES}).`, 'Set TOKENTRAY_SOCKET to a shorter path.');
  }
  prepareSocketDir(path.dirname(file));
  const inUse = (): TokentrayError => refused(`Another Tokentray already answers on ${file}.`, 'Stop it first, or set TOKENTRAY_SOCKET to another path.');
  // Checking for a stale socket, removing it and listening is one step under a lock file, so two
  // apps starting at once cannot both find it stale and the second unlink the first one's socket.
  await withLockFile(
    `${file}.lock`,
    async () => {
      await claimSocketPath(file);
      await new Promise<void>((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException): void => {
          reject(error.code === 'EADDRINUSE' ? inUse() : error);
        };
        server.once('error', onError);
        server.listen({ path: file, readableAll: false, writableAll: false }, () => {
          server.off('error', onError);
          resolve();
        });
      });
    },
    { waitMs: 5000, staleMs: 10_000, onBusy: inUse },
  );
  // The directory already keeps others out; 0600 is the second lock, for systems that honour it.
  chmodSync(file, 0o600);
  const ours = lstatSync(file);
  const removeIfOurs = (): void => {
    const now = lstatOrNull(file);
    if (now !== null && now.ino === ours.ino && now.dev === ours.dev) {
      try {
        unlinkSync(file);
      } catch {
        // Gone already.
      }
    }
  };
  process.once('exit', removeIfOurs);
  let closed: Promise<void> | null = null;
  return {
    path: file,
    close() {
      closed ??= new Promise<void>((resolve) => {
        process.off('exit', removeIfOurs);
        if (!server.listening) {
          removeIfOurs();
          resolve();
          return;
        }
        server.close(() => {
          removeIfOurs();
          resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
