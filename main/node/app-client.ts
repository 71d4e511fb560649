// Talks to a running Tokentray (tray app or `tokentray serve`) through runtime.json and the loopback
// API, with the CLI's own client key from the keychain (issue 5). A running app that does not answer
// counts as none, so the CLI falls back to doing the work itself.
import { request } from 'node:http';
import type { HeadersResponse, ProfileStatus, TokenResponse } from '../../common/contract.js';
import { CLI_KEY_ACCOUNT, ensureCliClientKey } from '../core/app-core.js';
import { kindOfProblemType } from '../../common/errors.js';
import { TokentrayError, type ErrorKind } from '../core/errors.js';
import type { Vault } from '../core/types.js';
import { openFileStore } from './file-store.js';
import { KeytarVault } from './keytar-vault.js';
import { readRuntimeFile } from './runtime-file.js';

export interface RunningApp {
  port: number;
  pid: number;
  token(id: string): Promise<TokenResponse>;
  headers(id: string): Promise<HeadersResponse>;
  statuses(): Promise<ProfileStatus[]>;
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

/** A problem document as it arrives: nothing is trusted to be there. */
interface ProblemLike {
  type?: unknown;
  detail?: unknown;
  hint?: unknown;
}

interface Answer {
  status: number;
  body: string;
}

function call(port: number, method: string, path: string, key: string | null, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (key !== null) headers.Authorization = `Bearer ${key}`;
    const req = request({ host: '127.0.0.1', port, method, path, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new TokentrayError('timeout', 'The running Tokentray did not answer in time.')));
    req.on('error', reject);
    req.end();
  });
}

function problemError(answer: Answer): TokentrayError {
  let problem: ProblemLike = {};
  try {
    problem = JSON.parse(answer.body) as ProblemLike;
  } catch {
    // Not a problem document: fall back to the status.
  }
  const named = kindOfProblemType(problem.type);
  let kind: ErrorKind = named ?? (answer.status === 404 ? 'not_found' : 'internal');
  // The app refused the CLI's own key: for the CLI that is the app being unavailable (exit 5).
  if (kind === 'unauthorized' || kind === 'forbidden' || kind === 'session') kind = 'app_unavailable';
  const message = typeof problem.detail === 'string' ? problem.detail : `The running Tokentray answered ${answer.status}.`;
  return new TokentrayError(kind, message, typeof problem.hint === 'string' ? { hint: problem.hint } : {});
}

/** The running app for this config directory, or null when none answers. */
export async function findRunningApp(configDir: string, options: FindRunningAppOptions = {}): Promise<RunningApp | null> {
  const info = await readRuntimeFile(configDir);
  if (info === null) return null;
  try {
    const health = await call(info.port, 'GET', '/v1/health', null, options.healthTimeoutMs ?? 2000);
    if (health.status !== 200 || (JSON.parse(health.body) as { status?: unknown }).status !== 'ok') return null;
  } catch {
    return null;
  }

  const vault = options.vault ?? new KeytarVault();
  const freshKey = async (): Promise<string> => {
    const { store } = openFileStore(configDir);
    try {
      return await ensureCliClientKey(store, vault);
    } finally {
      store.close();
    }
  };
  let key: string;
  try {
    key = (await vault.getItem(CLI_KEY_ACCOUNT)) ?? (await freshKey());
  } catch {
    // No keychain, no key: the CLI does the work itself (and reports the keychain problem).
    return null;
  }

  const get = async <T>(method: string, path: string): Promise<T> => {
    let answer = await call(info.port, method, path, key, 120_000);
    if (answer.status === 401) {
      // Our record was removed (`clients rm cli`) or the key replaced: make a new one and try once more.
      key = await freshKey();
      answer = await call(info.port, method, path, key, 120_000);
    }
    if (answer.status < 200 || answer.status >= 300) throw problemError(answer);
    return JSON.parse(answer.body) as T;
  };
  const profilePath = (id: string, what: string): string => `/v1/profiles/${encodeURIComponent(id)}/${what}`;

  return {
    port: info.port,
    pid: info.pid,
    token: (id) => get<TokenResponse>('GET', profilePath(id, 'token')),
    headers: (id) => get<HeadersResponse>('GET', profilePath(id, 'headers')),
    statuses: () => get<ProfileStatus[]>('GET', '/v1/profiles'),
    refresh: (id) => get<TokenResponse>('POST', profilePath(id, 'refresh')),
    dashboardLink: async () => (await get<{ url: string }>('POST', '/v1/dashboard-link')).url,
  };
}
