// What every CLI command shares: its streams, the config directory, the store and the vault, the
// in-process engine, and one mapping from errors to SPEC section 5's exit codes and messages.
import { TokentrayError, isProviderErrorKind, isTokentrayError, type ErrorKind } from '../../core/errors.js';
import type { ConfigStore, Logger, Vault } from '../../core/types.js';
import { resolveConfigDir } from '../config-dir.js';
import { openFileStore } from '../file-store.js';
import { KeytarVault } from '../keytar-vault.js';

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  notFound: 3,
  provider: 4,
  unavailable: 5,
} as const;

/** Thrown by commands to end with a given exit code after their message was written. */
export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}


/**
 * SPEC section 5: 2 usage, 3 no such profile, 4 the provider rejected the credentials or returned an
 * error (a token endpoint that cannot be reached counts: the provider gave no token), 5 keychain or
 * app unavailable, 1 anything else.
 */
export function exitCodeOf(kind: ErrorKind): number {
  if (kind === 'usage') return EXIT.usage;
  if (kind === 'not_found') return EXIT.notFound;
  if (kind === 'keychain_unavailable' || kind === 'app_unavailable') return EXIT.unavailable;
  if (isProviderErrorKind(kind)) return EXIT.provider;
  return EXIT.error;
}

export function writeError(io: CliIo, message: string, hint?: string): void {
  io.stderr.write(`tokentray: ${message}\n`);
  if (hint) io.stderr.write(`  hint: ${hint}\n`);
}

/** Reports any thrown value and returns the exit code. Never prints an unknown error's text: it may hold a secret. */
export function reportError(io: CliIo, error: unknown): number {
  if (error instanceof CliExit) return error.code;
  if (isTokentrayError(error)) {
    // A one-shot CLI has no "next attempt": say what went wrong, and exit by that (a keychain failure
    // behind no_valid_token is still exit 5).
    const shown = error.kind === 'no_valid_token' && isTokentrayError(error.cause) ? error.cause : error;
    writeError(io, shown.message, shown.hint);
    if (io.env.TOKENTRAY_DEBUG && shown.cause instanceof Error) io.stderr.write(`  cause: ${shown.cause.name}\n`);
    return exitCodeOf(shown.kind);
  }
  writeError(io, 'an unexpected error occurred.', 'Run again with TOKENTRAY_DEBUG=1 and report the problem.');
  if (io.env.TOKENTRAY_DEBUG && error instanceof Error) io.stderr.write(`  ${error.name}\n${error.stack ?? ''}\n`);
  return EXIT.error;
}

export function usageError(message: string, hint?: string): TokentrayError {
  return new TokentrayError('usage', message, hint === undefined ? {} : { hint });
}

export function noSuchProfile(id: string): TokentrayError {
  return new TokentrayError('not_found', `There is no profile "${id}".`, {
    hint: 'See `tokentray profile list`, or create it with `tokentray profile add`.',
  });
}

/** Options every command takes. */
export interface CommonOptions {
  configDir?: string;
  json?: boolean;
}

export class CliContext {
  readonly io: CliIo;
  readonly configDir: string;
  #store: ConfigStore | undefined;
  #vault: Vault | undefined;

  constructor(io: CliIo, options: CommonOptions) {
    this.io = io;
    this.configDir = resolveConfigDir(options.configDir, io.env);
  }

  /** Opens the store; a corrupt file is moved aside, reported, and the command ends non-zero. */
  get store(): ConfigStore {
    if (this.#store) return this.#store;
    const { store, corrupt } = openFileStore(this.configDir, { logger: this.logger });
    if (corrupt) {
      writeError(
        this.io,
        `the config file was broken (${corrupt.reason}); it was moved aside to ${corrupt.movedTo} and nothing was done.`,
        'Look at the moved file and re-add your profiles (their secrets are still in the keychain), then run the command again.',
      );
      throw new CliExit(EXIT.error);
    }
    this.#store = store;
    return store;
  }

  get vault(): Vault {
    this.#vault ??= new KeytarVault(this.io.env.TOKENTRAY_KEYCHAIN_SERVICE ? { service: this.io.env.TOKENTRAY_KEYCHAIN_SERVICE } : {});
    return this.#vault;
  }

  /** Quiet unless TOKENTRAY_DEBUG is set; fields name profile ids, never secrets (STYLE.md). */
  get logger(): Logger {
    const debug = Boolean(this.io.env.TOKENTRAY_DEBUG);
    const write = (level: string, message: string, fields?: Record<string, unknown>): void => {
      if (!debug) return;
      this.io.stderr.write(`[${level}] ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
    };
    return {
      debug: (m, f) => write('debug', m, f),
      info: (m, f) => write('info', m, f),
      warn: (m, f) => write('warn', m, f),
      error: (m, f) => write('error', m, f),
    };
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  requireProfile(id: string) {
    const profile = this.store.getProfile(id);
    if (!profile) throw noSuchProfile(id);
    return profile;
  }
}

/** A fixed-width text table for people (the --json output is for programs). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
