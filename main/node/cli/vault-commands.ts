// `tokentray vault status`, `vault migrate --to keychain|file` and `vault passphrase`
// (docs/storage.md): which backend holds the secrets and in what state, moving every secret and cached
// token to the other, and re-encrypting the file vault under a new passphrase.
import { rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { VAULT_BACKENDS, type VaultBackend, type VaultInfo } from '../../../common/contract.js';
import { CLI_KEY_ACCOUNT } from '../../core/app-core.js';
import { FLEET_ACCOUNTS } from '../shared-cache/fleet-vault.js';
import { TokentrayError } from '../../core/errors.js';
import { requireStrongPassphrase } from '../../core/storage/passphrase-rule.js';
import { closeVault, vaultInfo, vaultLockedError } from '../../core/storage/vault-control.js';
import type { AppAdmin } from '../app-admin.js';
import { FileVault } from '../file-vault.js';
import { KeytarVault } from '../keytar-vault.js';
import { isProcessAlive, readRuntimeFile } from '../runtime-file.js';
import { passphraseFromEnv } from '../vault-choice.js';
import { table, usageError, type CliContext, type CliIo, type CommonOptions } from './context.js';
import { promptSecret, readSecretFromStdin } from './secret-input.js';
import { withCommonOptions, type Runner } from './shared.js';

export function registerVaultCommands(program: Command, _io: CliIo, run: Runner): void {
  const vault = program.command('vault').description('where secrets are kept: status, migration between backends, and the file vault\'s passphrase');

  withCommonOptions(vault.command('status'), { json: true })
    .description('the backend, whether it is locked, how many entries it holds, and its file or service (the running app\'s, while one runs)')
    .action((options: CommonOptions) =>
      run(options, async (context) => {
        const app = await context.app();
        if (app !== null) {
          // The running app's vault is the one in use, in the state the app holds it.
          const info = await app.call('vault:status', {});
          if (options.json) return context.json({ ...info, chosen: `vault: the ${info.backend} of the running Tokentray (pid ${app.pid})` });
          return context.out(vaultTable(info));
        }
        const chosen = await context.chosenVault();
        const { vault: current } = chosen;
        if (current instanceof KeytarVault) await current.probe();
        // Unlocked only with a passphrase from the environment: `status` never prompts.
        if (current instanceof FileVault && current.state !== 'unlocked' && (await passphraseFromEnv(context.io.env)) !== null) await context.unlockVault(current);
        const info = await vaultInfo(current);
        if (options.json) return context.json({ ...info, chosen: chosen.line });
        context.out(vaultTable(info));
      }),
    );

  withCommonOptions(vault.command('migrate'), { json: true })
    .description('copy every secret and cached token to the other backend, check each, then delete the originals')
    .requiredOption('--to <backend>', 'keychain or file')
    .action((options: CommonOptions & { to: string }) =>
      run(options, async (context) => {
        if (!(VAULT_BACKENDS as readonly string[]).includes(options.to)) throw usageError(`--to must be keychain or file, not "${options.to}".`);
        const result = await migrate(context, options.to as VaultBackend);
        if (options.json) return context.json(result);
        context.io.stderr.write(`Moved ${result.moved} entries from the ${result.from.backend} (${result.from.location}) to the ${result.to.backend} (${result.to.location}); the setting vault is now ${result.to.backend}.\n`);
      }),
    );

  withCommonOptions(vault.command('passphrase'), { json: true })
    .description('re-encrypt the file vault under a new passphrase (the old file stays whole until the new one is complete)')
    .option('--new-passphrase-stdin', 'read the new passphrase from stdin instead of asking twice at a prompt')
    .addHelpText(
      'after',
      [
        '',
        'The current passphrase comes from TOKENTRAY_VAULT_PASSPHRASE or TOKENTRAY_VAULT_PASSPHRASE_FILE, else a prompt.',
        'The new one must be strong: zxcvbn\'s estimate must reach 4 of 4 (e.g. four or more random words).',
        'While Tokentray runs for this config directory, the running app re-encrypts its own open vault over its socket;',
        'it checks the current passphrase against the file itself, so it is asked for all the same.',
        'Exit codes: 2 a weak or mismatched new passphrase, 5 a wrong current one (or an app without its socket); nothing changes then.',
      ].join('\n'),
    )
    .action((options: CommonOptions & { newPassphraseStdin?: boolean }) =>
      run(options, async (context) => {
        const info = await changePassphrase(context, options.newPassphraseStdin === true);
        if (options.json) return context.json(info);
        context.io.stderr.write(`The vault's passphrase was changed: ${info.entries ?? 0} entries re-encrypted in ${info.location}.\n`);
      }),
    );
}

/** TOKENTRAY_TEST_HOOKS=1 with this: the command stops (until killed) before renaming the new file in. */
const HALT_BEFORE_REPLACE = 'vault-replace';

async function changePassphrase(context: CliContext, newFromStdin: boolean): Promise<VaultInfo> {
  const app = await context.app();
  if (app !== null) return changeThroughApp(context, app, newFromStdin);
  const running = await readRuntimeFile(context.configDir);
  if (running !== null && isProcessAlive(running.pid)) {
    // An app without a socket holds the vault open with the old key: rewriting the file behind it would lock it out.
    throw new TokentrayError('app_unavailable', `Tokentray is running for ${context.configDir} (pid ${running.pid}) and holds the vault open; nothing was changed.`, {
      hint: 'Change the passphrase in its dashboard (Settings, Vault), or quit it (or stop `tokentray serve`) and run this again.',
    });
  }
  const { vault: chosen } = await context.chosenVault();
  if (!(chosen instanceof FileVault)) {
    throw usageError(`the secrets are in the OS keychain (${chosen.location}), which has no Tokentray passphrase.`, 'The passphrase belongs to the file vault: add --vault file to change that one.');
  }
  chosen.close();
  const env = context.io.env;
  const halt = env.TOKENTRAY_TEST_HOOKS === '1' && env.TOKENTRAY_TEST_HALT === HALT_BEFORE_REPLACE;
  const vault = new FileVault(context.configDir, {
    watch: false,
    ...(halt
      ? {
          beforeReplace: () => {
            context.io.stderr.write('tokentray-test: the new vault file is written, not yet renamed\n');
            // Held here until the test kills the process.
            return new Promise<void>(() => setInterval(() => undefined, 60_000));
          },
        }
      : {}),
  });
  if (vault.state === 'absent') throw vaultLockedError('absent');
  const current = await currentPassphrase(context, vault.location);
  // The current one is checked first, so nobody types a new passphrase twice for nothing.
  await vault.unlock(current);
  const next = await newPassphrase(context, newFromStdin);
  try {
    await vault.changePassphrase(current, next);
    return await vaultInfo(vault);
  } finally {
    vault.close();
  }
}

/**
 * The running app re-encrypts its own open vault (one writer): a file rewritten behind it would
 * lock it out. The app checks the current passphrase against the file itself, with the same
 * throttle as its lock screen, so an unlocked app is no way around it.
 */
async function changeThroughApp(context: CliContext, app: AppAdmin, newFromStdin: boolean): Promise<VaultInfo> {
  const info = await app.call('vault:status', {});
  if (info.backend !== 'file') {
    throw usageError(
      `the running Tokentray (pid ${app.pid}) keeps the secrets in the OS keychain (${info.location}), which has no Tokentray passphrase.`,
      'The passphrase belongs to the file vault; the keychain is unlocked by your login.',
    );
  }
  if (info.state === 'absent') throw vaultLockedError('absent');
  const current = await currentPassphrase(context, info.location);
  await app.call('vault:check-passphrase', { passphrase: current });
  const next = await newPassphrase(context, newFromStdin);
  return app.call('vault:passphrase', { current, next });
}

/** From TOKENTRAY_VAULT_PASSPHRASE(_FILE), else asked on a terminal: never taken from the running app. */
async function currentPassphrase(context: CliContext, location: string): Promise<string> {
  const current = (await passphraseFromEnv(context.io.env)) ?? (isTerminal(context) ? await promptSecret(context.io, `Current passphrase for ${location}`) : null);
  if (current === null || current === '') {
    throw new TokentrayError('vault_locked', `The file vault ${location} needs its current passphrase, and none was given.`, {
      hint: 'Set TOKENTRAY_VAULT_PASSPHRASE or TOKENTRAY_VAULT_PASSPHRASE_FILE, or run in a terminal to be asked.',
    });
  }
  return current;
}

/** From stdin, else asked twice on a terminal; a weak one is refused before it is asked again. */
async function newPassphrase(context: CliContext, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const next = await readSecretFromStdin(context.io.stdin);
    if (next === '') throw usageError('no new passphrase on stdin; nothing was changed.', 'Pipe it in, e.g. `tokentray vault passphrase --new-passphrase-stdin < new-passphrase-file`.');
    return next;
  }
  if (!isTerminal(context)) {
    throw usageError('no new passphrase given; nothing was changed.', 'Run in a terminal to be asked twice, or pipe it in with --new-passphrase-stdin.');
  }
  const next = await promptSecret(context.io, 'New vault passphrase');
  if (next === '') throw usageError('an empty passphrase cannot protect the vault; nothing was changed.');
  await requireStrongPassphrase(next);
  const again = await promptSecret(context.io, 'The same passphrase again');
  if (again !== next) throw usageError('the two passphrases differ; nothing was changed.', 'Run the command again and type the same passphrase twice.');
  return next;
}

function isTerminal(context: CliContext): boolean {
  return context.io.stdin.isTTY === true && typeof context.io.stdin.setRawMode === 'function';
}

function vaultTable(info: VaultInfo): string {
  return table(['backend', 'state', 'entries', 'location'], [[info.backend, info.state, info.entries === null ? '-' : String(info.entries), info.location]]);
}

export interface MigrationResult {
  moved: number;
  from: VaultInfo;
  to: VaultInfo;
}

/**
 * Copy, read back and compare every entry, switch the setting, and only then delete the source
 * entries: stopped anywhere, every secret is still in at least one vault, and the setting points to
 * one that holds them all.
 */
async function migrate(context: CliContext, to: VaultBackend): Promise<MigrationResult> {
  const running = await readRuntimeFile(context.configDir);
  if (running !== null && isProcessAlive(running.pid)) {
    // Its engine, lock screen and token cache are bound to the backend it opened: the secrets cannot move under it.
    throw new TokentrayError('app_unavailable', `Tokentray is running for ${context.configDir} (pid ${running.pid}) and holds the vault open, so its backend cannot change under it; nothing was moved.`, {
      hint: 'Quit it (or stop `tokentray serve`), migrate, then start it again.',
    });
  }
  const { vault: source } = await context.chosenVault();
  if (source.backend === to) throw usageError(`the secrets are already in the ${to} vault (${source.location}).`, `Choose the source with --vault, e.g. --vault ${to === 'file' ? 'keychain' : 'file'}.`);
  const env = context.io.env;
  const target: KeytarVault | FileVault =
    to === 'file' ? new FileVault(context.configDir, { watch: false }) : new KeytarVault(env.TOKENTRAY_KEYCHAIN_SERVICE ? { service: env.TOKENTRAY_KEYCHAIN_SERVICE } : {});
  try {
    if (source instanceof KeytarVault) await source.probe();
    else await context.unlockVault(source);
    if (target instanceof KeytarVault) await target.probe();
    else await context.unlockVault(target);

    let accounts = await source.accounts();
    if (source instanceof KeytarVault) {
      // The keychain service is shared by every config directory on this machine: only this
      // config's profiles (and the CLI's key and a joined fleet's secrets) move; the vault file
      // belongs to this directory alone.
      const ids = new Set(context.store.listProfiles().map((p) => p.id));
      const own = new Set([CLI_KEY_ACCOUNT, ...FLEET_ACCOUNTS]);
      accounts = accounts.filter((account) => own.has(account) || ids.has(account.slice(0, account.indexOf(':'))));
    }
    for (const account of accounts) {
      const value = await source.getItem(account);
      if (value === null) continue; // removed meanwhile
      await target.setItem(account, value);
      if ((await target.getItem(account)) !== value) {
        throw new TokentrayError('internal', `The entry "${account}" did not read back the same from the ${to} vault; nothing was deleted.`, {
          hint: 'Run the migration again; the source vault still holds everything.',
        });
      }
    }
    context.store.updateSettings({ vault: to });
    for (const account of accounts) await source.deleteItem(account);
    const from = await vaultInfo(source);
    // An emptied vault file goes too, or `auto` would keep choosing it.
    if (source instanceof FileVault && (await source.count()) === 0) {
      source.lock();
      await rm(source.location, { force: true });
    }
    return { moved: accounts.length, from, to: await vaultInfo(target) };
  } finally {
    closeVault(source);
    closeVault(target);
  }
}
