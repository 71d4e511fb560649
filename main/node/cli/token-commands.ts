// `tokentray token|headers|exec|status` (docs/cli.md). Only `token`, `headers` and `exec` ever put
// a credential on stdout or into a child's environment; messages on stderr never carry one.
import type { Command } from 'commander';
import type { ProfileStatus } from '../../../common/contract.js';
import { CliExit, usageError, type CliContext, type CliIo, type CommonOptions } from './context.js';
import { headerLines, jsonText, NO_PROFILES_NOTE, statusTable } from './output.js';
import { withCommonOptions, type Runner } from './shared.js';
import { openTokenSource, type TokenSource } from './token-source.js';

export function registerTokenCommands(program: Command, _io: CliIo, run: Runner): void {
  withCommonOptions(program.command('token').argument('<id>', 'profile id'), { json: true })
    .description('print a valid access token, nothing else')
    .action((id: string, options: CommonOptions) =>
      run(options, async (context) => {
        const token = await withSource(context, id, (source) => source.token(id));
        if (options.json) return context.out(jsonText(token));
        context.out(`${token.access_token}\n`);
      }),
    );

  withCommonOptions(program.command('headers').argument('<id>', 'profile id'), { json: true })
    .description('print the headers to attach, one "Name: value" a line (curl -H @-)')
    .action((id: string, options: CommonOptions) =>
      run(options, async (context) => {
        const headers = await withSource(context, id, (source) => source.headers(id));
        if (options.json) return context.out(jsonText(headers));
        context.out(headerLines(headers));
      }),
    );

  withCommonOptions(program.command('exec').argument('<id>', 'profile id').argument('<command...>', 'command and its arguments, after --'), {
    json: false,
  })
    .description('run a command with TOKENTRAY_TOKEN and TOKENTRAY_AUTH_HEADER set; exits with its code')
    .action((id: string, command: string[], options: CommonOptions) =>
      run(options, async (context) => {
        const credential = await withSource(context, id, (source) => source.credential(id));
        if (!command[0]) throw usageError('exec needs a command to run.', 'Write it after --, e.g. `tokentray exec my-profile -- curl https://…`');
        const { runChild } = await import('./exec-child.js');
        throw new CliExit(await runChild(context.io, command, credential.token.access_token, credential.headers));
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
        if (options.json) return context.out(jsonText(statuses));
        if (statuses.length === 0) {
          context.io.stderr.write(NO_PROFILES_NOTE);
          return;
        }
        context.out(statusTable(statuses, Date.now()));
      }),
    );
}

async function withSource<T>(context: CliContext, id: string, work: (source: TokenSource) => Promise<T>): Promise<T> {
  context.requireProfile(id);
  const source = await openTokenSource(context);
  try {
    return await work(source);
  } finally {
    await source.close();
  }
}
