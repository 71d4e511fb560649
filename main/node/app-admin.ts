// The CLI's way to the running app's administration verbs (common/admin-verbs.ts) over its user-only
// socket: while an app runs for the config directory, commands that read or change profiles, client
// keys or the vault ask it instead of opening the store and the vault themselves, so there is one
// writer and the app's unlocked vault serves them. An app that answers "locked" still counts: it
// stays the writer, and whatever needs the vault says how to unlock it.
import { ADMIN_PATH_PREFIX, type AdminInput, type AdminOutputs, type AdminVerb } from '../../common/admin-verbs.js';
import { TokentrayError } from '../core/errors.js';
import { AppCallError, callApp, callFailure, healthState, problemOf } from './app-call.js';
import { readRuntimeFile } from './runtime-file.js';

export interface AppAdmin {
  readonly pid: number;
  readonly socket: string;
  /** 'locked' while the app's file vault waits for its passphrase. */
  readonly state: 'ok' | 'locked';
  /** One verb; a refusal or failure is thrown as the app's own error (kind, words, hint). */
  call<V extends AdminVerb>(verb: V, input: AdminInput<V>): Promise<AdminOutputs[V]>;
}

/** The running app's verbs for this config directory, or null when no app answers on a socket. */
export async function findAppAdmin(configDir: string, options: { healthTimeoutMs?: number } = {}): Promise<AppAdmin | null> {
  const info = await readRuntimeFile(configDir);
  if (info?.socket === undefined) return null;
  const target = { socketPath: info.socket };
  let state: 'ok' | 'locked' | null;
  try {
    state = healthState(await callApp(target, 'GET', '/v1/health', {}, options.healthTimeoutMs ?? 2000));
  } catch {
    return null;
  }
  if (state === null) return null;
  return {
    pid: info.pid,
    socket: info.socket,
    state,
    async call(verb, input) {
      let answer;
      try {
        // A provider test inside `profiles:add` may take as long as a token request.
        answer = await callApp(target, 'POST', `${ADMIN_PATH_PREFIX}${encodeURIComponent(verb)}`, {}, 120_000, input);
      } catch (error) {
        if (!(error instanceof AppCallError)) throw error;
        const { kind, message, hint } = callFailure(error);
        throw new TokentrayError(kind, message, hint === undefined ? {} : { hint });
      }
      if (answer.status < 200 || answer.status >= 300) {
        const { kind, message, hint } = problemOf(answer);
        throw new TokentrayError(kind, message, hint === undefined ? {} : { hint });
      }
      return JSON.parse(answer.body) as AdminOutputs[typeof verb];
    },
  };
}
