// `tokentray serve` (headless mode: the engine, the loopback API and the dashboard without Electron)
// and `tokentray dashboard` (a fresh one-time login link for it). The lifecycle is the host's
// (host.ts), which the tray app runs too; this file picks headless mode's policies and its words.
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { isTokentrayError, toTokentrayError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { findRunningApp } from './app-client.js';
import { EXIT, exitCodeOf } from './cli/output.js';
import { openFileStore } from './file-store.js';
import { vaultStateOf } from '../core/storage/vault-control.js';
import { openHost, type Host, type StartedHost } from './host.js';
import { packageRoot, packageVersion } from './package-root.js';

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
  /** --shared-cache URL (else TOKENTRAY_SHARED_CACHE, the setting); the host opens and closes it. */
  sharedCache?: string;
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
  let host: Host;
  let started: StartedHost;
  try {
    host = await openHost({
      mode: 'headless',
      configDir,
      version,
      env: options.env ?? process.env,
      openStore: () => openFileStore(configDir),
      vaultFlag: options.vault,
      port: options.port,
      // Nobody watches a headless start: a port or socket other than the one asked for would leave
      // scripts and the person looking in the wrong place, so both stop it with the reason.
      busyPort: 'exit',
      refusedSocket: 'exit',
      brokenConfig: 'exit',
      // Warnings and errors only, one line each; fields never hold secrets.
      logger: createLogger({ scope: 'tokentray serve:', level: 'warn', write: (line) => stderr.write(line) }),
      say: (line) => stderr.write(`tokentray serve: ${line}\n`),
      dashboardDir: join(root, 'dist', 'renderer'),
      sharedCacheFlag: options.sharedCache,
      // Bad shared-cache input stops a headless start like a bad --port: nobody would see a warning.
      badSharedCache: 'exit',
    });
    started = await host.start();
  } catch (error) {
    const problem = toTokentrayError(error);
    say(stderr, problem.message, problem.hint);
    return exitCodeOf(problem.kind);
  }

  stdout.write(`Tokentray ${version} is serving on http://127.0.0.1:${started.port}\n`);
  if (started.socket !== null) stdout.write(`Local socket (this user only, no key needed): ${started.socket}\n`);
  stdout.write(`Dashboard (one-time login link): ${host.core.server.createLoginLink()}\n`);
  const vaultState = vaultStateOf(host.vault);
  if (vaultState !== 'unlocked') {
    stdout.write(
      vaultState === 'absent'
        ? `The vault has no passphrase yet: open the link to create one (or start with TOKENTRAY_VAULT_PASSPHRASE set).\n`
        : `The vault is locked: open the link to unlock it (or start with TOKENTRAY_VAULT_PASSPHRASE set).\n`,
    );
  }
  stdout.write('Press Ctrl+C to stop.\n');

  await stopRequested(options.signal);
  await host.stop();
  stdout.write('Tokentray stopped.\n');
  return EXIT.ok;
}

/** Resolves on SIGINT, SIGTERM or the caller's signal, whichever comes first. */
function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (signal?.aborted === true) done();
    else signal?.addEventListener('abort', done, { once: true });
  });
}

/** Prints a fresh one-time login link for the running headless server; resolves with the exit code. */
export async function printDashboardLink(options: { configDir: string; stdout: Writable; stderr: Writable }): Promise<number> {
  const app = await findRunningApp(options.configDir);
  if (app === null || app.dashboardLink === undefined) {
    options.stderr.write(`tokentray dashboard: no running Tokentray answers for ${options.configDir}.\n  Start one with \`tokentray serve\`.\n`);
    return EXIT.unavailable;
  }
  try {
    options.stdout.write(`${await app.dashboardLink()}\n`);
    return EXIT.ok;
  } catch (error) {
    const message = isTokentrayError(error) ? error.message : 'The running Tokentray did not give a link.';
    options.stderr.write(`tokentray dashboard: ${message}\n`);
    return EXIT.error;
  }
}
