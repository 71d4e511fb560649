// `tokentray clients add|list|rm` (docs/http-api.md): loopback client keys, shown once, stored as hashes.
import type { Command } from 'commander';
import { ClientKeyService } from '../../core/client-key-service.js';
import { systemClock } from '../../core/clock.js';
import { TokentrayError } from '../../core/errors.js';
import { table, usageError, type CliIo, type CommonOptions } from './context.js';
import { withCommonOptions, type Runner } from './shared.js';

export function registerClientCommands(program: Command, _io: CliIo, run: Runner): void {
  const clients = program.command('clients').description('loopback API client keys');

  withCommonOptions(clients.command('add').argument('<name>', 'a name for the program that will use the key'), { json: true })
    .description('create a client key; it is printed once and stored only as a hash')
    .option('--profiles <ids>', 'comma-separated profile ids the key may use (default: all)')
    .action((name: string, options: CommonOptions & { profiles?: string }) =>
      run(options, (context) => {
        let profiles: string[] | null = null;
        if (options.profiles !== undefined) {
          profiles = options.profiles.split(',').map((p) => p.trim()).filter((p) => p !== '');
          if (profiles.length === 0) throw usageError('--profiles is empty.', 'Name at least one profile, or leave the option out for all.');
        }
        // The same service as the dashboard's: the same rules and words; the running app logs the new key.
        const { key, record } = new ClientKeyService({ store: context.store, clock: systemClock }).add(name, profiles);
        const { hash: _hash, ...client } = record;
        if (options.json) return context.json({ key, client });
        context.out(`${key}\n`);
        context.io.stderr.write(`Created client key "${name}". It is shown only this once: store it now.\n`);
      }),
    );

  withCommonOptions(clients.command('list'), { json: true })
    .description('list client keys (names and limits, never keys)')
    .action((options: CommonOptions) =>
      run(options, (context) => {
        const list = context.store.listClients().map(({ hash: _hash, ...client }) => client);
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
      run(options, (context) => {
        if (!new ClientKeyService({ store: context.store, clock: systemClock }).remove(name)) {
          throw new TokentrayError('not_found', `There is no client key "${name}".`, { hint: 'See `tokentray clients list`.' });
        }
        if (options.json) return context.json({ removed: true, name });
        context.io.stderr.write(`Revoked client key "${name}".\n`);
      }),
    );
}
