// `tokentray serve` (headless mode: the engine, the loopback API and the dashboard without Electron)
// and `tokentray dashboard` (a fresh one-time login link for it). See docs/cli.md.
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { createCore, type Core } from '../core/app-core.js';
import { isTokentrayError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { findRunningApp } from './app-client.js';
import { openFileStore } from './file-store.js';
import { packageRoot, packageVersion } from './package-root.js';
import { KeytarVault } from './keytar-vault.js';
import { listenOnLocalSocket, localSocketDoor, resolveSocketPath, type LocalSocket } from './local-socket.js';
import { chooseVault, passphraseFromEnv, resolveVaultChoice } from './vault-choice.js';
import { readRuntimeFile, removeRuntimeFile, writeRuntimeFile } from './runtime-file.js';

export interface ServeOptions {
  configDir: string;
  port?: number;
  stdout: Writable;
  stderr: Writable;
  /** Stops the server like SIGINT/SIGTERM would (tests, embedding). */
  signal?: AbortSignal;
  /** --vault keychain|file|auto (else TOKENTRAY_VAULT, the setting, auto). */
  vault?: string;
  env?: NodeJS.ProcessEnv;
}

function say(stream: Writable, message: string, hint?: string): void {
  stream.write(`tokentray serve: ${message}\n`);
  if (hint !== undefined) stream.write(`  hint: ${hint}\n`);
}

/** Runs until SIGINT/SIGTERM (or options.signal); resolves with the exit code. */
export async function runServe(options: ServeOptions): Promise<number> {
  const { configDir, stdout, stderr } = options;
  const root = packageRoot();
  const version = packageVersion(root);

  const running = await readRuntimeFile(configDir);
  if (running !== null && running.pid !== process.pid) {
    say(stderr, `Tokentray is already running for ${configDir} (pid ${running.pid}, port ${running.port}).`, 'Stop it first, or use another --config-dir.');
    return 1;
  }

  let opened: ReturnType<typeof openFileStore>;
  try {
    opened = openFileStore(configDir);
  } catch (error) {
    say(stderr, isTokentrayError(error) ? error.message : `The config directory ${configDir} cannot be used.`, isTokentrayError(error) ? error.hint : undefined);
    return 1;
  }
  const { store, corrupt } = opened;
  if (corrupt !== null) {
    say(stderr, `The config file was not valid (${corrupt.reason}); it was moved to ${corrupt.movedTo}.`, 'Fix or remove that file, then start again; a new empty config is in place.');
    store.close();
    return 1;
  }

  const env = options.env ?? process.env;
  let vault: Awaited<ReturnType<typeof chooseVault>>['vault'];
  try {
    const choice = resolveVaultChoice({ flag: options.vault, env, setting: store.getSettings().vault });
    const chosen = await chooseVault({ configDir, choice, env });
    vault = chosen.vault;
    stderr.write(`tokentray serve: ${chosen.line}\n`);
    if (vault instanceof KeytarVault) await vault.probe();
    // A passphrase from the environment opens (or creates) the file vault unattended; without one the
    // server runs locked and the dashboard's lock screen asks a person (docs/storage.md).
    else {
      const passphrase = await passphraseFromEnv(env);
      if (passphrase !== null) await (vault.state === 'absent' ? vault.create(passphrase) : vault.unlock(passphrase));
    }
  } catch (error) {
    const fallback = 'Unlock the keychain and start again.';
    say(stderr, isTokentrayError(error) ? error.message : 'The vault is not available.', isTokentrayError(error) ? error.hint ?? fallback : fallback);
    store.close();
    return isTokentrayError(error) && error.kind === 'usage' ? 2 : 5;
  }

  // Warnings and errors only, one line each; fields never hold secrets.
  const logger = createLogger({ scope: 'tokentray serve:', level: 'warn', write: (line) => stderr.write(line) });
  const dashboardDir = join(root, 'dist', 'renderer');
  let core: Core;
  let port: number;
  const wanted = options.port ?? store.getSettings().port;
  try {
    core = await createCore({ store, vault, logger, version, dashboardDir });
    port = await core.start(wanted);
  } catch (error) {
    vault.close();
    store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      say(stderr, `Port ${wanted} on 127.0.0.1 is already in use.`, 'Choose another with --port N (or --port 0 for any free port).');
    } else if (code === 'EACCES') {
      say(stderr, `Port ${wanted} on 127.0.0.1 may not be used by this user.`, 'Choose a port above 1024 with --port N.');
    } else {
      say(stderr, isTokentrayError(error) ? error.message : 'The server could not start.', isTokentrayError(error) ? error.hint : undefined);
      return isTokentrayError(error) && error.kind === 'keychain_unavailable' ? 5 : 1;
    }
    return 1;
  }

  // The user-only socket the CLI prefers; a path that is unsafe or taken stops the start.
  let local: LocalSocket | null = null;
  const socketPath = resolveSocketPath(configDir, env);
  if (socketPath !== null) {
    try {
      local = await listenOnLocalSocket(core.server.createListener(localSocketDoor()), socketPath);
    } catch (error) {
      await core.stop();
      vault.close();
      store.close();
      say(stderr, isTokentrayError(error) ? error.message : `The local socket ${socketPath} could not be opened.`, isTokentrayError(error) ? error.hint : 'Set TOKENTRAY_SOCKET to another path.');
      return 1;
    }
  }

  await writeRuntimeFile(configDir, { port, pid: process.pid, version, startedAt: new Date().toISOString(), mode: 'headless', ...(local === null ? {} : { socket: local.path }) });
  stdout.write(`Tokentray ${version} is serving on http://127.0.0.1:${port}\n`);
  if (local !== null) stdout.write(`Local socket (this user only, no key needed): ${local.path}\n`);
  stdout.write(`Dashboard (one-time login link): ${core.server.createLoginLink()}\n`);
  if (vault.state !== 'unlocked') {
    stdout.write(
      vault.state === 'absent'
        ? `The vault has no passphrase yet: open the link to create one (or start with TOKENTRAY_VAULT_PASSPHRASE set).\n`
        : `The vault is locked: open the link to unlock it (or start with TOKENTRAY_VAULT_PASSPHRASE set).\n`,
    );
  }
  stdout.write('Press Ctrl+C to stop.\n');

  await new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      options.signal?.removeEventListener('abort', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (options.signal?.aborted === true) done();
    else options.signal?.addEventListener('abort', done, { once: true });
  });

  try {
    await core.stop();
  } finally {
    await local?.close();
    vault.close();
    await removeRuntimeFile(configDir);
    store.close();
  }
  stdout.write('Tokentray stopped.\n');
  return 0;
}

/** Prints a fresh one-time login link for the running headless server; resolves with the exit code. */
export async function printDashboardLink(options: { configDir: string; stdout: Writable; stderr: Writable }): Promise<number> {
  const app = await findRunningApp(options.configDir);
  if (app === null || app.dashboardLink === undefined) {
    options.stderr.write(`tokentray dashboard: no running Tokentray answers for ${options.configDir}.\n  Start one with \`tokentray serve\`.\n`);
    return 5;
  }
  try {
    options.stdout.write(`${await app.dashboardLink()}\n`);
    return 0;
  } catch (error) {
    const message = isTokentrayError(error) ? error.message : 'The running Tokentray did not give a link.';
    options.stderr.write(`tokentray dashboard: ${message}\n`);
    return 1;
  }
}
