// Talks to a running Tokentray (tray app or `tokentray serve`) through runtime.json: over its
// user-only socket when it serves one (no key, so no keychain read and no passphrase), else
// the loopback API with the CLI's own client key from the keychain. A running app that does
// not answer counts as none, so the CLI falls back to doing the work itself.
import { request } from 'node:http';
import type { EngineEvent, HeadersResponse, ProfileStatus, TokenResponse } from '../../common/contract.js';
import { TokentrayError } from '../core/errors.js';
import type { Vault } from '../core/types.js';
import { AppCallError, callApp, callFailure, healthIsOk, problemOf, type AppAnswer, type AppProblem, type AppTarget } from './app-call.js';
import { readRuntimeFile } from './runtime-file.js';

export interface RunningApp {
  port: number;
  pid: number;
  /** The socket the calls go through; absent when they use the loopback port with a client key. */
  socket?: string;
  token(id: string): Promise<TokenResponse>;
  headers(id: string): Promise<HeadersResponse>;
  statuses(): Promise<ProfileStatus[]>;
  /**
   * Follows GET /v1/events: `onEvent` for each event, `onEnd` once when the stream ends, fails or is
   * refused. Returns the function that closes it (after which `onEnd` is not called).
   */
  events?(onEvent: (event: EngineEvent) => void, onEnd: () => void): () => void;
  /** Forces a refresh in the running app. */
  refresh?(id: string): Promise<TokenResponse>;
  /** A fresh one-time dashboard login link (headless mode). */
  dashboardLink?(): Promise<string>;
}

export interface FindRunningAppOptions {
  /** The keychain holding the CLI's key (default: the OS keychain through keytar). */
  vault?: Vault;
  /** How long to wait for the health check. */
  healthTimeoutMs?: number;
}

function appError({ kind, message, hint }: AppProblem): TokentrayError {
  return new TokentrayError(kind, message, hint === undefined ? {} : { hint });
}

async function call(target: AppTarget, method: string, path: string, key: string | null, timeoutMs: number): Promise<AppAnswer> {
  try {
    return await callApp(target, method, path, key === null ? {} : { Authorization: `Bearer ${key}` }, timeoutMs);
  } catch (error) {
    if (!(error instanceof AppCallError)) throw error;
    throw appError(callFailure(error));
  }
}

async function answersHealthy(target: AppTarget, timeoutMs: number): Promise<boolean> {
  try {
    return healthIsOk(await callApp(target, 'GET', '/v1/health', {}, timeoutMs));
  } catch {
    return false;
  }
}

/** The running app for this config directory, or null when none answers. */
export async function findRunningApp(configDir: string, options: FindRunningAppOptions = {}): Promise<RunningApp | null> {
  const info = await readRuntimeFile(configDir);
  if (info === null) return null;
  const healthTimeoutMs = options.healthTimeoutMs ?? 2000;

  let target: AppTarget;
  let key: string | null = null;
  let freshKey: (() => Promise<string>) | null = null;
  if (info.socket !== undefined && (await answersHealthy({ socketPath: info.socket }, healthTimeoutMs))) {
    // The socket's permissions are the authentication (docs/http-api.md): no key to read.
    target = { socketPath: info.socket };
  } else {
    target = { port: info.port };
    if (!(await answersHealthy(target, healthTimeoutMs))) return null;
    // Loaded only here: the key path needs the core's key helpers and the keychain.
    const [{ CLI_KEY_ACCOUNT, ensureCliClientKey }, { openFileStore }, { KeytarVault }] = await Promise.all([
      import('../core/app-core.js'),
      import('./file-store.js'),
      import('./keytar-vault.js'),
    ]);
    const vault = options.vault ?? new KeytarVault();
    freshKey = async (): Promise<string> => {
      const { store } = openFileStore(configDir);
      try {
        return await ensureCliClientKey(store, vault);
      } finally {
        store.close();
      }
    };
    try {
      key = (await vault.getItem(CLI_KEY_ACCOUNT)) ?? (await freshKey());
    } catch {
      // No keychain, no key: the CLI does the work itself (and reports the keychain problem).
      return null;
    }
  }

  const get = async <T>(method: string, path: string): Promise<T> => {
    let answer = await call(target, method, path, key, 120_000);
    if (answer.status === 401 && freshKey !== null) {
      // Our record was removed (`clients rm cli`) or the key replaced: make a new one and try once more.
      key = await freshKey();
      answer = await call(target, method, path, key, 120_000);
    }
    if (answer.status < 200 || answer.status >= 300) throw appError(problemOf(answer));
    return JSON.parse(answer.body) as T;
  };
  const profilePath = (id: string, what: string): string => `/v1/profiles/${encodeURIComponent(id)}/${what}`;

  return {
    port: info.port,
    pid: info.pid,
    ...('socketPath' in target ? { socket: target.socketPath } : {}),
    token: (id) => get<TokenResponse>('GET', profilePath(id, 'token')),
    headers: (id) => get<HeadersResponse>('GET', profilePath(id, 'headers')),
    statuses: () => get<ProfileStatus[]>('GET', '/v1/profiles'),
    refresh: (id) => get<TokenResponse>('POST', profilePath(id, 'refresh')),
    events: (onEvent, onEnd) => followEvents(target, key, onEvent, onEnd),
    dashboardLink: async () => (await get<{ url: string }>('POST', '/v1/dashboard-link')).url,
  };
}

/** One GET /v1/events stream read line by line (docs/http-api.md): `data:` lines are JSON events. */
function followEvents(target: AppTarget, key: string | null, onEvent: (event: EngineEvent) => void, onEnd: () => void): () => void {
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  const where = 'socketPath' in target ? { socketPath: target.socketPath } : { host: '127.0.0.1', port: target.port };
  const headers: Record<string, string> = { Accept: 'text/event-stream', ...(key === null ? {} : { Authorization: `Bearer ${key}` }) };
  const req = request({ ...where, method: 'GET', path: '/v1/events', headers }, (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      end();
      return;
    }
    res.setEncoding('utf8');
    let pending = '';
    res.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('data:')) continue;
        let event: EngineEvent;
        try {
          event = JSON.parse(line.slice(5)) as EngineEvent;
        } catch {
          continue;
        }
        if (!ended) onEvent(event);
      }
    });
    res.on('end', end);
    res.on('error', end);
  });
  req.on('error', end);
  req.end();
  return () => {
    ended = true;
    req.destroy();
  };
}
