// The CLI's fast path: `token`, `headers`, `exec` and `status` answered by the running
// app over its user-only socket with one node:http request, before the full CLI (commander, zod,
// the engine, the providers, keytar) is loaded at all. bin/tokentray.js calls it first; null means
// "not mine", and the full CLI runs as if this did not exist: any argv it does not fully understand,
// no runtime.json, no socket, an app that does not answer or is locked. What it prints and its exit
// codes come from output.ts and app-call.ts, which the full CLI uses too.
import { resolveConfigDir } from '../config-dir.js';
import { AppCallError, callApp, callFailure, healthIsOk, problemOf, type AppAnswer, type AppProblem } from '../app-call.js';
import { readRuntimeFileSync } from '../runtime-file.js';
import { EXIT, errorText, exitCodeOf, headerLines, jsonText, NO_PROFILES_NOTE, statusTable } from './output.js';

interface FastCommand {
  name: 'token' | 'headers' | 'exec' | 'status';
  id: string | null;
  json: boolean;
  configDir: string | undefined;
  vault: string | undefined;
  /** exec: the command and its arguments, after `--`. */
  command: string[];
}

const PROFILE_ID = /^[a-z0-9-]{1,64}$/;
const VAULTS = new Set(['keychain', 'file', 'auto']);

/**
 * The command when argv is one of the plain shapes the full CLI would accept with the same meaning:
 * `token|headers ID`, `status`, `exec ID -- CMD…`, with --json (not for exec), --config-dir and
 * --vault (as `--x v` or `--x=v`). Anything else (help, unknown flags, missing or extra arguments)
 * is null and goes to the full CLI, which says what is wrong.
 */
export function parseFastCommand(argv: readonly string[]): FastCommand | null {
  const [name, ...rest] = argv;
  if (name !== 'token' && name !== 'headers' && name !== 'exec' && name !== 'status') return null;
  const cmd: FastCommand = { name, id: null, json: false, configDir: undefined, vault: undefined, command: [] };
  const positionals: string[] = [];
  let i = 0;
  for (; i < rest.length; i += 1) {
    const arg = rest[i] as string;
    if (arg === '--') {
      if (name !== 'exec') return null;
      cmd.command = rest.slice(i + 1);
      break;
    }
    if (arg === '--json' && name !== 'exec') {
      cmd.json = true;
      continue;
    }
    const option = /^--(config-dir|vault)(?:=(.*))?$/s.exec(arg);
    if (option !== null) {
      let value = option[2];
      if (value === undefined) {
        i += 1;
        value = rest[i];
        if (value === undefined || value.startsWith('-')) return null;
      }
      if (option[1] === 'config-dir') cmd.configDir = value;
      else cmd.vault = value;
      continue;
    }
    if (arg.startsWith('-')) return null;
    positionals.push(arg);
  }
  if (name === 'status') return positionals.length === 0 ? cmd : null;
  if (positionals.length !== 1 || !PROFILE_ID.test(positionals[0] as string)) return null;
  if (name === 'exec' && !cmd.command[0]) return null;
  cmd.id = positionals[0] as string;
  return cmd;
}

export interface FastIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Answers the command through the running app's socket and resolves with the exit code, or null for "run the full CLI". */
export async function runFastPath(argv: readonly string[], io: FastIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number | null> {
  const { env } = io;
  if (env.TOKENTRAY_NO_FAST_PATH === '1') return null;
  const cmd = parseFastCommand(argv);
  if (cmd === null) return null;
  // A wrong --vault or TOKENTRAY_VAULT is the full CLI's usage error to report.
  if (cmd.vault !== undefined && cmd.vault !== '' && !VAULTS.has(cmd.vault)) return null;
  if ((cmd.vault === undefined || cmd.vault === '') && env.TOKENTRAY_VAULT && !VAULTS.has(env.TOKENTRAY_VAULT)) return null;

  const info = readRuntimeFileSync(resolveConfigDir(cmd.configDir, env));
  if (info?.socket === undefined) return null;
  const target = { socketPath: info.socket };
  // The full CLI counts an app that does not answer, or answers "locked", as none: so does this.
  try {
    if (!healthIsOk(await callApp(target, 'GET', '/v1/health', {}, 2000))) return null;
  } catch {
    return null;
  }

  const get = async (path: string): Promise<AppAnswer | AppProblem> => {
    try {
      return await callApp(target, 'GET', path, {}, 120_000);
    } catch (error) {
      if (error instanceof AppCallError) return callFailure(error);
      throw error;
    }
  };
  // The app says "there is no profile" in the same words as the full CLI (common/errors.ts).
  const fail = (problem: AppProblem): number => {
    io.stderr.write(errorText(problem.message, problem.hint));
    return exitCodeOf(problem.kind);
  };
  const read = async <T>(path: string): Promise<{ value: T } | { problem: AppProblem }> => {
    const answer = await get(path);
    if (!('status' in answer)) return { problem: answer };
    if (answer.status < 200 || answer.status >= 300) return { problem: problemOf(answer) };
    return { value: JSON.parse(answer.body) as T };
  };
  const profilePath = (what: string): string => `/v1/profiles/${encodeURIComponent(cmd.id as string)}/${what}`;

  switch (cmd.name) {
    case 'token': {
      const token = await read<{ access_token: string }>(profilePath('token'));
      if ('problem' in token) return fail(token.problem);
      io.stdout.write(cmd.json ? jsonText(token.value) : `${token.value.access_token}\n`);
      return EXIT.ok;
    }
    case 'headers': {
      const headers = await read<Record<string, string>>(profilePath('headers'));
      if ('problem' in headers) return fail(headers.problem);
      io.stdout.write(cmd.json ? jsonText(headers.value) : headerLines(headers.value));
      return EXIT.ok;
    }
    case 'exec': {
      const [token, headers] = await Promise.all([read<{ access_token: string }>(profilePath('token')), read<Record<string, string>>(profilePath('headers'))]);
      if ('problem' in token) return fail(token.problem);
      if ('problem' in headers) return fail(headers.problem);
      const { runChild } = await import('./exec-child.js');
      return runChild(io, cmd.command, token.value.access_token, headers.value);
    }
    case 'status': {
      const answer = await read<Parameters<typeof statusTable>[0]>('/v1/profiles');
      if ('problem' in answer) return fail(answer.problem);
      const statuses = answer.value;
      if (cmd.json) io.stdout.write(jsonText(statuses));
      else if (statuses.length === 0) io.stderr.write(NO_PROFILES_NOTE);
      else io.stdout.write(statusTable(statuses, Date.now()));
      return EXIT.ok;
    }
  }
}
