// `tokentray shared-cache status|keygen` (SPEC section 8): what the fleet's shared cache holds for
// this machine's profiles, and a new fleet key. Neither ever prints a token, a secret or the Redis
// password: status shows the URL without it, the key's id and what each record is, not its content.
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.js';
import { FleetTokens, type FleetView } from '../../core/fleet/fleet-tokens.js';
import { generateFleetKey, fleetKeyId } from '../../core/fleet/record-crypto.js';
import { resolveProfile } from '../../core/profiles.js';
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
        const health = cache.health();
        const fleet = new FleetTokens({ cache, clock: systemClock, logger: context.logger });
        const profiles = context.store.listProfiles();
        const rows: Array<{ id: string; sharedOnly: boolean; view: FleetView | null; error: string | null }> = [];
        for (const profile of profiles) {
          if (health.state !== 'connected') {
            rows.push({ id: profile.id, sharedOnly: profile.sharedOnly === true, view: null, error: null });
            continue;
          }
          try {
            rows.push({ id: profile.id, sharedOnly: profile.sharedOnly === true, view: await fleet.view(resolveProfile(profile)), error: null });
          } catch (error) {
            rows.push({ id: profile.id, sharedOnly: profile.sharedOnly === true, view: null, error: error instanceof Error ? error.message : 'Redis failed' });
          }
        }
        const now = systemClock.now();
        const state = cache.health();
        if (options.json) {
          context.json({
            location: cache.location,
            state: state.state,
            reason: state.reason,
            keyId: cache.keys.current.id,
            previousKeyId: cache.keys.previous?.id ?? null,
            profiles: rows.map(({ id, sharedOnly, view, error }) => ({ id, sharedOnly, ...(error === null ? {} : { error }), ...(view === null ? {} : jsonView(view)) })),
          });
        } else {
          context.out(`Shared cache: ${cache.location}\n`);
          context.out(`State:        ${state.state}${state.reason === null ? '' : ` (${state.reason})`}\n`);
          context.out(`Fleet key:    ${cache.keys.current.id}${cache.keys.previous === null ? '' : ` (also reading ${cache.keys.previous.id})`}\n`);
          if (rows.length > 0) {
            context.out('\n');
            context.out(
              table(
                ['PROFILE', 'TOKEN', 'LOCK', 'STOP/COOL-DOWN', 'REQUESTS 1H/24H'],
                rows.map(({ id, sharedOnly, view, error }) => [
                  sharedOnly ? `${id} (shared-only)` : id,
                  error ?? (view === null ? '-' : tokenWords(view, now)),
                  view?.lockMs == null ? '-' : `held, ${Math.ceil(view.lockMs / 1000)} s left`,
                  view?.stop != null ? `stopped: ${view.stop.kind}` : view?.coolUntil != null ? `until ${new Date(view.coolUntil).toISOString()}` : '-',
                  view?.counts == null ? '-' : `${view.counts.requestsLastHour}/${view.counts.requestsLastDay}`,
                ]),
              ),
            );
          }
        }
        if (state.state !== 'connected') throw new CliExit(EXIT.unavailable);
      }),
    );
}

function tokenWords(view: FleetView, now: number): string {
  if (view.cacheKey === null) return 'not shared (Basic credentials)';
  if (view.unreadable === 'foreign-key') return 'a record sealed with another fleet key';
  if (view.unreadable !== null) return 'a record that does not authenticate';
  if (view.token === null) return 'none';
  if (view.token.expiresAt === null) return 'valid, never expires';
  const left = Math.floor((view.token.expiresAt - now) / 1000);
  return left > 0 ? `valid until ${new Date(view.token.expiresAt).toISOString()} (${left} s)` : 'expired';
}

function jsonView(view: FleetView): Record<string, unknown> {
  return {
    cacheKey: view.cacheKey,
    token: view.token === null ? null : { expiresAt: view.token.expiresAt === null ? null : new Date(view.token.expiresAt).toISOString(), obtainedAt: new Date(view.token.obtainedAt).toISOString() },
    unreadable: view.unreadable,
    lockMs: view.lockMs,
    stop: view.stop,
    coolUntil: view.coolUntil === null ? null : new Date(view.coolUntil).toISOString(),
    counts: view.counts,
  };
}
