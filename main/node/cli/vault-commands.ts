// `tokentray vault status` and `tokentray vault migrate --to keychain|file` (docs/storage.md): which
// backend holds the secrets and in what state, and moving every secret and cached token to the other.
import { rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { VAULT_BACKENDS, type VaultBackend, type VaultInfo } from '../../../common/contract.js';
import { CLI_KEY_ACCOUNT } from '../../core/app-core.js';
import { TokentrayError } from '../../core/errors.js';
import { vaultInfo, type LockableVault } from '../../core/vault-control.js';
import { FileVault } from '../file-vault.js';
import { KeytarVault } from '../keytar-vault.js';
import { isProcessAlive, readRuntimeFile } from '../runtime-file.js';
import { passphraseFromEnv } from '../vault-choice.js';
import { table, usageError, type CliContext, type CliIo, type CommonOptions } from './context.js';
import { withCommonOptions, type Runner } from './shared.js';

export function registerVaultCommands(program: Command, _io: CliIo, run: Runner): void {
  const vault = program.command('vault').description('where secrets are kept: status, and migration between backends');

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
        if (current.state !== 'unlocked' && (await passphraseFromEnv(context.io.env)) !== null) await context.unlockVault(current);
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
    throw new TokentrayError('app_unavailable', `Tokentray is running for ${context.configDir} (pid ${running.pid}) and holds the vault open.`, {
      hint: 'Quit it (or stop `tokentray serve`) first, then migrate.',
    });
  }
  const { vault: source } = await context.chosenVault();
  if (source.backend === to) throw usageError(`the secrets are already in the ${to} vault (${source.location}).`, `Choose the source with --vault, e.g. --vault ${to === 'file' ? 'keychain' : 'file'}.`);
  const env = context.io.env;
  const target: LockableVault & { accounts(): Promise<string[]> } =
    to === 'file' ? new FileVault(context.configDir, { watch: false }) : new KeytarVault(env.TOKENTRAY_KEYCHAIN_SERVICE ? { service: env.TOKENTRAY_KEYCHAIN_SERVICE } : {});
  try {
    if (source instanceof KeytarVault) await source.probe();
    else await context.unlockVault(source);
    if (target instanceof KeytarVault) await target.probe();
    else await context.unlockVault(target);

    let accounts = await (source as LockableVault & { accounts(): Promise<string[]> }).accounts();
    if (source instanceof KeytarVault) {
      // The keychain service is shared by every config directory on this machine: only this
      // config's profiles (and the CLI's key) move; the vault file belongs to this directory alone.
      const ids = new Set(context.store.listProfiles().map((p) => p.id));
      accounts = accounts.filter((account) => account === CLI_KEY_ACCOUNT || ids.has(account.slice(0, account.indexOf(':'))));
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
    source.close();
    target.close();
  }
}
