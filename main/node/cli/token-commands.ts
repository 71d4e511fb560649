// `tokentray token|headers|exec|status` (SPEC section 5). Only `token`, `headers` and `exec` ever put
// a credential on stdout or into a child's environment; messages on stderr never carry one.
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Command } from 'commander';
import type { ProfileStatus } from '../../../common/contract.js';
import { CliExit, table, usageError, writeError, type CliContext, type CliIo, type CommonOptions } from './context.js';
import { withCommonOptions, type Runner } from './shared.js';
import { openTokenSource, type Credential } from './token-source.js';

export function registerTokenCommands(program: Command, _io: CliIo, run: Runner): void {
  withCommonOptions(program.command('token').argument('<id>', 'profile id'), { json: true })
    .description('print a valid access token, nothing else')
    .action((id: string, options: CommonOptions) =>
      run(options, async (context) => {
        const credential = await fetchCredential(context, id);
        if (options.json) return context.json(credential.token);
        context.out(`${credential.token.access_token}\n`);
      }),
    );

  withCommonOptions(program.command('headers').argument('<id>', 'profile id'), { json: true })
    .description('print the headers to attach, one "Name: value" a line (curl -H @-)')
    .action((id: string, options: CommonOptions) =>
      run(options, async (context) => {
        const credential = await fetchCredential(context, id);
        if (options.json) return context.json(credential.headers);
        context.out(
          Object.entries(credential.headers)
            .map(([name, value]) => `${name}: ${value}\n`)
            .join(''),
        );
      }),
    );

  withCommonOptions(program.command('exec').argument('<id>', 'profile id').argument('<command...>', 'command and its arguments, after --'), {
    json: false,
  })
    .description('run a command with TOKENTRAY_TOKEN and TOKENTRAY_AUTH_HEADER set; exits with its code')
    .action((id: string, command: string[], options: CommonOptions) =>
      run(options, async (context) => {
        const credential = await fetchCredential(context, id);
        throw new CliExit(await runChild(context.io, command, credential));
      }),
    );

  withCommonOptions(program.command('status'), { json: true })
    .description('a table of profiles and their states')
    .action((options: CommonOptions) =>
      run(options, async (context) => {
        const source = await openTokenSource(context);
        let statuses: ProfileStatus[];
        try {
          statuses = await source.statuses();
        } finally {
          await source.close();
        }
        if (options.json) return context.json(statuses);
        if (statuses.length === 0) {
          context.io.stderr.write('No profiles yet. Add one with `tokentray profile add ID --provider P`.\n');
          return;
        }
        context.out(statusTable(statuses, Date.now()));
      }),
    );
}

async function fetchCredential(context: CliContext, id: string): Promise<Credential> {
  context.requireProfile(id);
  const source = await openTokenSource(context);
  try {
    return await source.credential(id);
  } finally {
    await source.close();
  }
}

/** The header line a program attaches: Authorization for bearer/basic, Cookie for login sessions. */
export function authHeaderValue(headers: Record<string, string>): string {
  const find = (name: string): string | undefined =>
    Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return find('authorization') ?? find('cookie') ?? Object.values(headers)[0] ?? '';
}

async function runChild(io: CliIo, command: string[], credential: Credential): Promise<number> {
  const [file, ...args] = command;
  if (!file) throw usageError('exec needs a command to run.', 'Write it after --, e.g. `tokentray exec my-profile -- curl https://…`');
  const env = {
    ...io.env,
    TOKENTRAY_TOKEN: credential.token.access_token,
    TOKENTRAY_AUTH_HEADER: authHeaderValue(credential.headers),
  };
  const inherit = io.stdout === process.stdout && io.stderr === process.stderr;
  const child = spawn(file, args, { env, stdio: inherit ? 'inherit' : ['inherit', 'pipe', 'pipe'] });
  if (!inherit) {
    child.stdout?.pipe(io.stdout, { end: false });
    child.stderr?.pipe(io.stderr, { end: false });
  }
  // The child gets the terminal's Ctrl-C itself; we only wait for it and pass its code on.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt).on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') {
          writeError(io, `the command "${file}" was not found.`, 'Check its name and your PATH.');
          resolve(127);
        } else {
          writeError(io, `the command "${file}" could not be started (${error.code ?? 'error'}).`);
          resolve(126);
        }
      });
      child.once('close', (code, signal) => {
        if (code !== null) resolve(code);
        else resolve(128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
      });
    });
  } finally {
    process.off('SIGINT', onInt).off('SIGTERM', onTerm);
  }
}

function statusTable(statuses: ProfileStatus[], now: number): string {
  return table(
    ['ID', 'PROVIDER', 'STATE', 'EXPIRES', 'LAST ERROR'],
    statuses.map((s) => [
      s.id,
      s.provider,
      s.state,
      s.expiresAt === null ? (s.state === 'fresh' ? 'never' : '-') : relative(Date.parse(s.expiresAt) - now),
      s.lastError ? `${s.lastError.message}${s.lastError.hint ? ` (${s.lastError.hint})` : ''}` : '',
    ]),
  );
}

function relative(ms: number): string {
  const past = ms < 0;
  let rest = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  const text = h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
  return past ? `${text} ago` : `in ${text}`;
}

