// One request to the running app's API (docs/http-api.md), over its user-only socket or the loopback
// port, with node:http only, and how a problem answer becomes an error kind, message and hint. The
// full CLI (app-client.ts) and its fast path (cli/fast-path.ts) both use it, so both read the app's
// answers the same way.
import { request } from 'node:http';
import type { ErrorKind } from '../../common/errors.js';
import { readProblemText } from '../../common/problem.js';

/** Where the app listens: its socket (no key needed) or 127.0.0.1:port (a client key needed). */
export type AppTarget = { socketPath: string } | { port: number };

export interface AppAnswer {
  status: number;
  body: string;
}

export interface AppProblem {
  kind: ErrorKind;
  message: string;
  hint?: string;
}

/** The request's own failure (no answer): its code, e.g. ENOENT or ECONNREFUSED for an app that is gone. */
export class AppCallError extends Error {
  override readonly name = 'AppCallError';
  constructor(readonly code: string) {
    super(`The running Tokentray did not answer (${code}).`);
  }
}

export function callApp(target: AppTarget, method: string, path: string, headers: Record<string, string>, timeoutMs: number): Promise<AppAnswer> {
  return new Promise((resolve, reject) => {
    const where = 'socketPath' in target ? { socketPath: target.socketPath } : { host: '127.0.0.1', port: target.port };
    const req = request({ ...where, method, path, headers: { Accept: 'application/json', ...headers }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error: NodeJS.ErrnoException) => reject(new AppCallError(error.code ?? 'error')));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => reject(new AppCallError(error.code ?? 'error')));
    req.end();
  });
}

/** Whether GET /v1/health says the app is up and unlocked ("locked" counts as not: see token-source.ts). */
export function healthIsOk(answer: AppAnswer): boolean {
  if (answer.status !== 200) return false;
  try {
    return (JSON.parse(answer.body) as { status?: unknown }).status === 'ok';
  } catch {
    return false;
  }
}

/** A problem document as it arrives: nothing is trusted to be there. */
/** The error an answer outside 2xx stands for, in the app's own words. */
export function problemOf(answer: AppAnswer): AppProblem {
  const problem = readProblemText(answer.body, answer.status);
  // The app refused the CLI's own key: for the CLI that is the app being unavailable (exit 5).
  const refused = problem.kind === 'unauthorized' || problem.kind === 'forbidden' || problem.kind === 'session';
  return refused ? { ...problem, kind: 'app_unavailable' } : problem;
}

/** What a request that got no answer means to the caller (the app went away mid-call, or hangs). */
export function callFailure(error: AppCallError): AppProblem {
  if (error.code === 'ETIMEDOUT') return { kind: 'timeout', message: 'The running Tokentray did not answer in time.' };
  return {
    kind: 'app_unavailable',
    message: `The running Tokentray stopped answering (${error.code}).`,
    hint: 'Check that it still runs (`tokentray status`), then run the command again.',
  };
}
