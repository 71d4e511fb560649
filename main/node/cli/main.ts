// The `tokentray` command (SPEC section 5): commander with exitOverride so every outcome becomes an
// exit code here (0 ok, 2 usage, 3 no such profile, 4 provider, 5 keychain/app, 1 else), and no
// command ever calls process.exit itself.
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { packageRoot, packageVersion } from '../package-root.js';
import { registerClientCommands } from './client-commands.js';
import { CliContext, EXIT, reportError, writeError, type CliIo, type CommonOptions } from './context.js';
import { registerProfileCommands } from './profile-commands.js';
import { registerRelayCommands } from './relay-commands.js';
import { findSecretInArgv } from './secret-input.js';
import { registerServeCommands } from './serve-commands.js';
import type { Runner } from './shared.js';
import { registerTokenCommands } from './token-commands.js';
import { registerVaultCommands } from './vault-commands.js';

export type { CliIo } from './context.js';

export async function main(argv: string[], io?: Partial<CliIo>): Promise<number> {
  const streams: CliIo = {
    stdin: io?.stdin ?? process.stdin,
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    env: io?.env ?? process.env,
  };

  const secretFlag = findSecretInArgv(argv);
  if (secretFlag) {
    // Refused before parsing, and the value is never echoed: argv lands in shell history and `ps`.
    writeError(
      streams,
      `secrets are never taken on the command line (${secretFlag}); nothing was done.`,
      'Pipe the secret in with --secret-stdin, e.g. `printf %s "$SECRET" | tokentray profile add ID --provider P --client-id C --secret-stdin`, or leave it out to be asked with echo off.',
    );
    return EXIT.usage;
  }

  let exitCode: number = EXIT.ok;
  const run: Runner = async (options: CommonOptions, body) => {
    try {
      const context = new CliContext(streams, options);
      await body(context);
    } catch (error) {
      exitCode = reportError(streams, error);
    }
  };

  const program = buildProgram(streams, run);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return reportError(streams, error);
  }
  return exitCode;
}

export function buildProgram(io: CliIo, run: Runner): Command {
  const program = new Command('tokentray')
    .description('Keeps API access tokens fresh: profiles, tokens and headers from the command line.')
    .version(packageVersion(packageRoot(fileURLToPath(import.meta.url))), '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'tokentray: ')),
    });
  registerProfileCommands(program, io, run);
  registerTokenCommands(program, io, run);
  registerClientCommands(program, io, run);
  registerRelayCommands(program, io, run);
  registerServeCommands(program, io, run);
  registerVaultCommands(program, io, run);
  applyExitOverride(program);
  return program;
}

/** Every command, not just the root, must throw instead of exiting the process. */
function applyExitOverride(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) applyExitOverride(sub);
}
