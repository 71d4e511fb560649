// The `tokentray` command (docs/cli.md): commander with exitOverride so every outcome becomes an
// exit code here (0 ok, 2 usage, 3 no such profile, 4 provider, 5 keychain/app, 1 else), and no
// command ever calls process.exit itself.
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { packageRoot, packageVersion } from '../package-root.js';
import { CliContext, EXIT, reportError, writeError, type CliIo, type CommonOptions } from './context.js';
import { findSecretInArgv } from './secret-input.js';
import type { Runner } from './shared.js';

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

  const program = await buildProgram(streams, run, argv[0]);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return reportError(streams, error);
  }
  return exitCode;
}

type Register = (program: Command, io: CliIo, run: Runner) => void;

/**
 * Each module of commands, in the order --help lists them, with the top-level commands it defines.
 * Loaded on demand: `tokentray token b` loads only the token commands, not the server,
 * the profile service or the vault migration; an unknown or missing command loads them all.
 */
const COMMAND_MODULES: readonly { commands: readonly string[]; load: () => Promise<Register> }[] = [
  { commands: ['profile'], load: async () => (await import('./profile-commands.js')).registerProfileCommands },
  { commands: ['token', 'headers', 'exec', 'status'], load: async () => (await import('./token-commands.js')).registerTokenCommands },
  { commands: ['clients'], load: async () => (await import('./client-commands.js')).registerClientCommands },
  { commands: ['relay'], load: async () => (await import('./relay-commands.js')).registerRelayCommands },
  { commands: ['serve', 'dashboard'], load: async () => (await import('./serve-commands.js')).registerServeCommands },
  { commands: ['vault'], load: async () => (await import('./vault-commands.js')).registerVaultCommands },
  { commands: ['sink'], load: async () => (await import('./sink-commands.js')).registerSinkCommands },
  { commands: ['run'], load: async () => (await import('./run-command.js')).registerRunCommand },
];

/** The program with every command, or with only the module defining `command` when one does. */
export async function buildProgram(io: CliIo, run: Runner, command?: string): Promise<Command> {
  const program = new Command('tokentray')
    .description('Keeps API access tokens fresh: profiles, tokens and headers from the command line.')
    .version(packageVersion(packageRoot(fileURLToPath(import.meta.url))), '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'tokentray: ')),
    });
  const owner = COMMAND_MODULES.find((m) => command !== undefined && m.commands.includes(command));
  const registers = await Promise.all((owner === undefined ? COMMAND_MODULES : [owner]).map((m) => m.load()));
  for (const register of registers) register(program, io, run);
  applyExitOverride(program);
  return program;
}

/** Every command, not just the root, must throw instead of exiting the process. */
function applyExitOverride(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) applyExitOverride(sub);
}
