// `tokentray shared-cache status|keygen` (SPEC section 8): what the fleet's shared cache holds for
// this machine's profiles, and a new fleet key. Neither ever prints a token, a secret or the Redis
// password: status shows the URL without it, the key's id and what each record is, not its content.
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.js';
import type { FleetProfileInfo } from '../../../common/contract.js';
import { describeFleet } from '../../core/fleet/fleet-status.js';
import { FleetTokens } from '../../core/fleet/fleet-tokens.js';
import { generateFleetKey, fleetKeyId } from '../../core/fleet/record-crypto.js';
import { CliExit, EXIT, table, usageError, type CliIo, type CommonOptions } from './context.js';
import { withCommonOptions, type Runner } from './shared.js';

export function registerSharedCacheCommands(program: Command, _io: CliIo, run: Runner): void {
  const shared = program.command('shared-cache').description("the fleet's shared token cache in Redis");

  withCommonOptions(shared.command('keygen'), { json: true })
    .description('print a new fleet key (32 random bytes, base64) for TOKENTRAY_SHARED_KEY')
    .action((options: CommonOptions) =>
      run(options, (context) => {
        const key = generateFleetKey();
        const id = fleetKeyId(Buffer.from(key, 'base64'));
        if (options.json) return context.json({ key, keyId: id });
        context.out(`${key}\n`);
        context.io.stderr.write(
          `Fleet key ${id}. Give every machine of the fleet this value in TOKENTRAY_SHARED_KEY (or a file named by TOKENTRAY_SHARED_KEY_FILE); keep it like a password.\n`,
        );
      }),
    );

  withCommonOptions(shared.command('status'), { json: true })
    .description("the shared cache's URL (without password), whether it answers, the fleet key id, and what the fleet holds per profile")
    .action((options: CommonOptions) =>
      run(options, async (context) => {
        if (!(await context.sharedCacheConfigured())) {
          throw usageError('No shared cache is configured.', 'Name the fleet\'s Redis with --shared-cache URL, TOKENTRAY_SHARED_CACHE or the setting sharedCache.');
        }
        const cache = await context.sharedCache('tokentray shared-cache');
        if (cache === null) return;
        const fleet = new FleetTokens({ cache, clock: systemClock, logger: context.logger });
        const info = await describeFleet(fleet, context.store.listProfiles(), systemClock);
        if (options.json) {
          const { at: _at, ...shown } = info;
          context.json(shown);
        } else {
          const now = systemClock.now();
          context.out(`Shared cache: ${info.location}\n`);
          context.out(`State:        ${info.state}${info.reason === null ? '' : ` (${info.reason})`}\n`);
          context.out(`Fleet key:    ${info.keyId}${info.previousKeyId === null ? '' : ` (also reading ${info.previousKeyId})`}\n`);
          if (info.profiles.length > 0) {
            context.out('\n');
            context.out(
              table(
                ['PROFILE', 'TOKEN', 'LOCK', 'STOP/COOL-DOWN', 'REQUESTS 1H/24H'],
                info.profiles.map((p) => [
                  p.sharedOnly ? `${p.id} (shared-only)` : p.id,
                  p.error ?? tokenWords(p, now),
                  p.lockMs === null ? '-' : `held, ${Math.ceil(p.lockMs / 1000)} s left`,
                  p.stop !== null ? `stopped: ${p.stop.kind}` : p.coolUntil !== null ? `until ${p.coolUntil}` : '-',
                  p.counts === null ? '-' : `${p.counts.requestsLastHour}/${p.counts.requestsLastDay}`,
                ]),
              ),
            );
          }
        }
        const state = { state: info.state };
        if (state.state !== 'connected') throw new CliExit(EXIT.unavailable);
      }),
    );
}

function tokenWords(p: FleetProfileInfo, now: number): string {
  if (p.shared === null) return '-';
  if (!p.shared) return 'not shared (Basic credentials)';
  if (p.unreadable === 'foreign-key') return 'a record sealed with another fleet key';
  if (p.unreadable !== null) return 'a record that does not authenticate';
  if (p.token === null) return 'none';
  if (p.token.expiresAt === null) return 'valid, never expires';
  const left = Math.floor((Date.parse(p.token.expiresAt) - now) / 1000);
  return left > 0 ? `valid until ${p.token.expiresAt} (${left} s)` : 'expired';
}
