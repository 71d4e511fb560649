// Option helpers every command uses, so `--config-dir`, `--json` and `--help` look the same everywhere.
import type { Command } from 'commander';
import type { CliContext, CommonOptions } from './context.js';

/** Runs a command body with its context; main.ts supplies it (error mapping, exit code). */
export type Runner = (options: CommonOptions, body: (context: CliContext) => unknown) => Promise<void>;

export function withCommonOptions(command: Command, options: { json: boolean }): Command {
  command.option('--config-dir <dir>', 'config directory (default: TOKENTRAY_CONFIG_DIR or the app-data folder)');
  command.option('--vault <backend>', 'where secrets are kept: keychain, file or auto (default: TOKENTRAY_VAULT, the setting, else auto)');
  command.option('--shared-cache <url>', "the fleet's Redis, redis://host:port or rediss:// (default: TOKENTRAY_SHARED_CACHE, the setting)");
  if (options.json) command.option('--json', 'machine-readable output');
  return command;
}
