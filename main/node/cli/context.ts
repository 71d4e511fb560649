// What every CLI command shares: its streams, the config directory, the store and the vault, the
// in-process engine, and one mapping from errors to docs/cli.md's exit codes and messages.
import { TokentrayError, isTokentrayError, noSuchProfile } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { requireStrongPassphrase } from '../../core/storage/passphrase-rule.js';
import type { VaultedFleet } from '../shared-cache/fleet-vault.js';
import type { ConfigStore, Logger, Vault } from '../../core/types.js';
import type { SharedCache } from '../../core/fleet/shared-cache.js';
import { findAppAdmin, type AppAdmin } from '../app-admin.js';
import { resolveConfigDir } from '../config-dir.js';
import { FileVault } from '../file-vault.js';
import { openFileStore } from '../file-store.js';
import type { LockableVault } from '../../core/storage/vault-control.js';
import { chooseVault, openWithPassphrase, resolveVaultChoice, VaultOnDemand, type ChosenVault } from '../vault-choice.js';
import { EXIT, errorText, exitCodeOf } from './output.js';
import { promptSecret } from './secret-input.js';

export { EXIT, exitCodeOf, table } from './output.js';

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Thrown by commands to end with a given exit code after their message was written. */
export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}


export function writeError(io: CliIo, message: string, hint?: string): void {
  io.stderr.write(errorText(message, hint));
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

export { noSuchProfile };

/** Options every command takes. */
export interface CommonOptions {
  configDir?: string;
  json?: boolean;
  /** --vault keychain|file|auto */
  vault?: string;
  /** --shared-cache URL (SPEC section 8) */
  sharedCache?: string;
}

export class CliContext {
  readonly io: CliIo;
  readonly configDir: string;
  readonly #vaultFlag: string | undefined;
  #store: ConfigStore | undefined;
  #vault: Vault | undefined;
  #chosen: Promise<ChosenVault> | undefined;
  readonly #sharedCacheFlag: string | undefined;
  #sharedCache: Promise<SharedCache | null> | undefined;
  #app: Promise<AppAdmin | null> | undefined;

  constructor(io: CliIo, options: CommonOptions) {
    this.io = io;
    this.configDir = resolveConfigDir(options.configDir, io.env);
    this.#vaultFlag = options.vault;
    this.#sharedCacheFlag = options.sharedCache;
  }

  /**
   * The fleet's shared cache when one is configured (--shared-cache, TOKENTRAY_SHARED_CACHE, the
   * setting), opened on first use; bad input is a usage error, an unreachable Redis is said once and
   * the command works alone. Closed by dispose().
   */
  sharedCache(scope = 'tokentray'): Promise<SharedCache | null> {
    this.#sharedCache ??= import('../shared-cache/open.js').then(({ openSharedCacheFor }) =>
      openSharedCacheFor({
        flag: this.#sharedCacheFlag,
        env: this.io.env,
        setting: () => this.store.getSettings().sharedCache,
        stderr: this.io.stderr,
        scope,
        // A server logs when Redis goes away and comes back; a one-shot command only with TOKENTRAY_DEBUG.
        logger: scope === 'tokentray' ? this.logger : createLogger({ scope: `${scope}:`, level: 'warn', write: (line) => this.io.stderr.write(line) }),
        vaulted: (location) => this.#vaultedFleet(location),
      }),
    );
    return this.#sharedCache;
  }

  /** Whether a shared cache is configured at all, checked (a usage error for bad input); connects to nothing. */
  async sharedCacheConfigured(): Promise<boolean> {
    const { sharedCacheConfigWithVault } = await import('../shared-cache/open.js');
    const sources = { flag: this.#sharedCacheFlag, env: this.io.env, setting: this.store.getSettings().sharedCache };
    return (await sharedCacheConfigWithVault(sources, (location) => this.#vaultedFleet(location))) !== null;
  }

  /**
   * What the vault keeps for a fleet joined in the dashboard (its Redis password and fleet key). A
   * vault file that does not exist yet keeps nothing, and is not created for the asking.
   */
  async #vaultedFleet(location: string): Promise<VaultedFleet | undefined> {
    const { vault } = await this.chosenVault();
    if (vault instanceof FileVault && vault.state === 'absent') return undefined;
    const { readVaultedFleet } = await import('../shared-cache/fleet-vault.js');
    return readVaultedFleet(this.vault, location);
  }

  /** Closes what the command opened on the way (the shared cache's connection). */
  async dispose(): Promise<void> {
    const opened = this.#sharedCache;
    this.#sharedCache = undefined;
    const cache = await opened?.catch(() => null);
    await cache?.close();
  }

  /** Opens the store; a corrupt file is moved aside, reported, and the command ends non-zero. */
  get store(): ConfigStore {
    if (this.#store) return this.#store;
    const { store, movedAside: corrupt } = openFileStore(this.configDir, { logger: this.logger, confSchema: false });
    if (corrupt) {
      writeError(
        this.io,
        `the config file was broken (${corrupt.reason}); it was moved aside to ${corrupt.movedTo} and nothing was done.`,
        'Look at the moved file and re-add your profiles (their secrets are still in the vault), then run the command again.',
      );
      throw new CliExit(EXIT.error);
    }
    this.#store = store;
    return store;
  }

  /**
   * The vault, opened on first use only: the backend is chosen (a keychain probe for `auto`) and the
   * file vault's passphrase asked for when a command first reads or writes a secret, so commands the
   * running app answers never ask for one.
   */
  get vault(): Vault {
    this.#vault ??= new VaultOnDemand(async () => {
      const { vault } = await this.chosenVault();
      // The keychain is unlocked by the OS; only the file vault asks for a passphrase.
      if (vault instanceof FileVault) await this.unlockVault(vault);
      return vault;
    });
    return this.#vault;
  }

  /**
   * The running app's administration verbs over its socket, or null when no app answers for this
   * config directory. While one runs, commands that read or change profiles, client keys or the vault
   * go through it (one writer; its vault is already open); only without one do they open the store
   * and the vault themselves. A wrong --vault is still refused first, app or not.
   */
  async app(): Promise<AppAdmin | null> {
    this.#app ??= (async () => {
      this.checkVaultChoice();
      return findAppAdmin(this.configDir);
    })();
    return this.#app;
  }

  /** Refuses a --vault or TOKENTRAY_VAULT that is not keychain, file or auto (usage), without opening anything. */
  checkVaultChoice(): void {
    resolveVaultChoice({ flag: this.#vaultFlag, env: this.io.env, setting: this.store.getSettings().vault });
  }

  /** Which backend this command uses (--vault, TOKENTRAY_VAULT, the setting, else auto), not yet unlocked. */
  chosenVault(): Promise<ChosenVault> {
    this.#chosen ??= (async () => {
      const choice = resolveVaultChoice({ flag: this.#vaultFlag, env: this.io.env, setting: this.store.getSettings().vault });
      const chosen = await chooseVault({ configDir: this.configDir, choice, env: this.io.env });
      // auto says which it chose when that is not the usual keychain (docs/storage.md).
      if (chosen.fellBack || this.io.env.TOKENTRAY_DEBUG) this.io.stderr.write(`tokentray: ${chosen.line}\n`);
      return chosen;
    })();
    return this.#chosen;
  }

  /** The file vault's passphrase from TOKENTRAY_VAULT_PASSPHRASE(_FILE), else a prompt with echo off (twice to create). */
  async unlockVault(vault: LockableVault): Promise<void> {
    const tty = this.io.stdin.isTTY === true && typeof this.io.stdin.setRawMode === 'function';
    await openWithPassphrase(
      vault,
      this.io.env,
      tty
        ? async (mode) => {
            if (mode === 'unlock') return promptSecret(this.io, `Passphrase for ${vault.location}`);
            this.io.stderr.write(`Creating the encrypted vault ${vault.location}. A lost passphrase cannot be recovered.\n`);
            const first = await promptSecret(this.io, 'New vault passphrase');
            if (first === '') throw usageError('an empty passphrase cannot protect the vault; nothing was created.');
            // Said before the second prompt: a weak passphrase is refused whatever is typed next.
            await requireStrongPassphrase(first);
            const again = await promptSecret(this.io, 'The same passphrase again');
            if (again !== first) throw usageError('the two passphrases differ; nothing was created.', 'Run the command again and type the same passphrase twice.');
            return first;
          }
        : null,
    );
  }

  /** Quiet unless TOKENTRAY_DEBUG is set; fields name profile ids, never secrets (STYLE.md). */
  get logger(): Logger {
    return createLogger({
      scope: 'tokentray:',
      level: this.io.env.TOKENTRAY_DEBUG ? 'debug' : 'silent',
      write: (line) => this.io.stderr.write(line),
    });
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
