// `tokentray clients add|list|rm` (docs/http-api.md): loopback client keys, shown once, stored as hashes.
import type { Command } from 'commander';
import { ClientKeyService } from '../../core/clients/client-key-service.js';
import { systemClock } from '../../core/clock.js';
import { TokentrayError } from '../../core/errors.js';
import type { ClientKeyInfo } from '../../../common/contract.js';
import { toClientInfo } from '../../core/wire.js';
import { table, usageError, type CliContext, type CliIo, type CommonOptions } from './context.js';
import { withCommonOptions, type Runner } from './shared.js';

export function registerClientCommands(program: Command, _io: CliIo, run: Runner): void {
  const clients = program.command('clients').description('loopback API client keys');

  withCommonOptions(clients.command('add').argument('<name>', 'a name for the program that will use the key'), { json: true })
    .description('create a client key; it is printed once and stored only as a hash')
    .option('--profiles <ids>', 'comma-separated profile ids the key may use (default: all)')
    .action((name: string, options: CommonOptions & { profiles?: string }) =>
      run(options, async (context) => {
        let profiles: string[] | null = null;
        if (options.profiles !== undefined) {
          profiles = options.profiles.split(',').map((p) => p.trim()).filter((p) => p !== '');
          if (profiles.length === 0) throw usageError('--profiles is empty.', 'Name at least one profile, or leave the option out for all.');
        }
        // The same service as the dashboard's, in the running app when one runs: the same rules and words.
        const app = await context.app();
        const { key, client } = app !== null ? await app.call('clients:add', { name, profiles }) : addHere(context, name, profiles);
        if (options.json) return context.json({ key, client });
        context.out(`${key}\n`);
        context.io.stderr.write(`Created client key "${name}". It is shown only this once: store it now.\n`);
      }),
    );

  withCommonOptions(clients.command('list'), { json: true })
    .description('list client keys (names and limits, never keys)')
    .action((options: CommonOptions) =>
      run(options, async (context) => {
        const app = await context.app();
        const list = app !== null ? await app.call('clients:list', {}) : context.store.listClients().map(toClientInfo);
        if (options.json) return context.json(list);
        if (list.length === 0) {
          context.io.stderr.write('No client keys yet. Create one with `tokentray clients add NAME`.\n');
          return;
        }
        context.out(
          table(
            ['NAME', 'PROFILES', 'CREATED', 'LAST USED'],
            list.map((c) => [c.name, c.profiles === null ? '(all)' : c.profiles.join(','), c.createdAt, c.lastUsedAt ?? '-']),
          ),
        );
      }),
    );

  withCommonOptions(clients.command('rm').argument('<name>'), { json: true })
    .alias('remove')
    .description('revoke a client key')
    .action((name: string, options: CommonOptions) =>
      run(options, async (context) => {
        // Through the app, the key works nowhere once this returns: the app ends its streams first.
        const app = await context.app();
        if (app !== null) await app.call('clients:remove', { name });
        else if (!new ClientKeyService({ store: context.store, clock: systemClock }).remove(name)) {
          throw new TokentrayError('not_found', `There is no client key "${name}".`, { hint: 'See `tokentray clients list`.' });
        }
        if (options.json) return context.json({ removed: true, name });
        context.io.stderr.write(`Revoked client key "${name}".\n`);
      }),
    );
}

function addHere(context: CliContext, name: string, profiles: string[] | null): { key: string; client: ClientKeyInfo } {
  const { key, record } = new ClientKeyService({ store: context.store, clock: systemClock }).add(name, profiles);
  return { key, client: toClientInfo(record) };
}
