// `tokentray serve` and `tokentray dashboard`: the loopback-API work implements them in main/node/serve.ts.
import type { Command } from 'commander';
import { CliExit, usageError, type CliIo, type CommonOptions } from './context.js';
import { withCommonOptions, type Runner } from './shared.js';

export function registerServeCommands(program: Command, io: CliIo, run: Runner): void {
  withCommonOptions(program.command('serve'), { json: false })
    .description('headless mode: the engine, the loopback API and the dashboard, without Electron')
    .option('--port <port>', 'port on 127.0.0.1 (default: the setting, 47210)')
    .action((options: CommonOptions & { port?: string }) =>
      run(options, async (context) => {
        let port: number | undefined;
        if (options.port !== undefined) {
          port = Number(options.port);
          if (!/^\d+$/.test(options.port) || port < 0 || port > 65_535) {
            throw usageError(`--port must be a number from 0 to 65535, not "${options.port}".`);
          }
        }
        // Loaded here: the whole server is for `serve` only.
        const { runServe } = await import('../serve.js');
        const code = await runServe({
          configDir: context.configDir,
          ...(port === undefined ? {} : { port }),
          stdout: io.stdout as never,
          stderr: io.stderr as never,
          env: io.env,
          ...(options.vault === undefined ? {} : { vault: options.vault }),
          // The host opens the shared cache: bad input stops the start (exit 2), an unreachable Redis only says so.
          ...(options.sharedCache === undefined ? {} : { sharedCache: options.sharedCache }),
        });
        throw new CliExit(code);
      }),
    );

  withCommonOptions(program.command('dashboard'), { json: false })
    .description('print a fresh one-time login link for the running headless server')
    .action((options: CommonOptions) =>
      run(options, async (context) => {
        const { printDashboardLink } = await import('../serve.js');
        const code = await printDashboardLink({ configDir: context.configDir, stdout: io.stdout as never, stderr: io.stderr as never });
        throw new CliExit(code);
      }),
    );
}
