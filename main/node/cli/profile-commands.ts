// `tokentray profile add|list|show|rm` (docs/cli.md), through the same profile service as the
// dashboard: `add` validates everything first and changes nothing on invalid input; the secret goes to
// the keychain, the rest to the JSON store.
import type { Command } from 'commander';
import type { ProfileConfig, ProfileSecrets } from '../../../common/contract.js';
import { PROVIDERS, isProviderId, secretFieldsOf, type FieldSpec, type SecretField } from '../../../common/providers.js';
import { systemClock } from '../../core/clock.js';
import { ProfileService } from '../../core/engine/profile-service.js';
import { TokentrayError, isTokentrayError } from '../../core/errors.js';
import { table, usageError, type CliContext, type CliIo, type CommonOptions } from './context.js';
import { promptSecret, readSecretFromStdin } from './secret-input.js';
import { withCommonOptions, type Runner } from './shared.js';

interface AddOptions extends CommonOptions {
  provider: string;
  name?: string;
  clientId?: string;
  username?: string;
  tokenUrl?: string;
  apiUrl?: string;
  baseUrl?: string;
  audience?: string;
  scope?: string;
  authMethod?: string;
  param?: string[];
  defaultLifetime?: string;
  sessionLifetime?: string;
  secretStdin?: boolean;
}

export function registerProfileCommands(program: Command, _io: CliIo, run: Runner): void {
  const profile = program.command('profile').description('add, list, show and remove profiles');

  withCommonOptions(profile.command('add').argument('<id>', 'profile id: 1-64 characters of a-z, 0-9 and -'), {
    json: true,
  })
    .description('create a profile and store its secret in the OS keychain')
    .requiredOption('--provider <provider>', `one of: ${Object.keys(PROVIDERS).join(', ')}`)
    .option('--name <name>', 'display name (default: the id)')
    .option('--client-id <id>', 'client id / API key / public key')
    .option('--username <name>', 'username (camunda-operate-cookie)')
    .option('--token-url <url>', 'token endpoint (overrides the provider default)')
    .option('--api-url <url>', 'API base URL')
    .option('--base-url <url>', 'base URL (camunda-operate-cookie)')
    .option('--audience <audience>', 'audience')
    .option('--scope <scope>', 'scope')
    .option('--auth-method <method>', 'oauth2 client authentication: client_secret_basic, client_secret_post or json')
    .option('--param <key=value>', 'extra token request parameter (oauth2), repeatable', collect, [])
    .option('--default-lifetime <seconds>', 'lifetime when the answer has neither expires_in nor a JWT exp')
    .option('--session-lifetime <seconds>', 'how long a login session is trusted (camunda-operate-cookie)')
    .option('--secret-stdin', 'read the secret (client secret or password) from stdin')
    .action((id: string, options: AddOptions) => run(options, (context) => addProfile(context, id, options)));

  withCommonOptions(profile.command('list'), { json: true })
    .description('list profiles (never secrets)')
    .action((options: CommonOptions) =>
      run(options, (context) => {
        const profiles = context.store.listProfiles();
        if (options.json) return context.json(profiles);
        if (profiles.length === 0) {
          context.io.stderr.write('No profiles yet. Add one with `tokentray profile add ID --provider P`.\n');
          return;
        }
        context.out(table(['ID', 'NAME', 'PROVIDER'], profiles.map((p) => [p.id, p.name, p.provider])));
      }),
    );

  withCommonOptions(profile.command('show').argument('<id>'), { json: true })
    .description('show a profile (never its secret)')
    .action((id: string, options: CommonOptions) =>
      run(options, async (context) => {
        const config = context.requireProfile(id);
        const secrets = await secretPresence(context, config);
        if (options.json) return context.json({ ...config, secrets });
        const lines = Object.entries(config).map(([key, value]) => [key, typeof value === 'object' ? JSON.stringify(value) : String(value)]);
        for (const [field, present] of Object.entries(secrets)) lines.push([field, present]);
        const width = Math.max(...lines.map(([key]) => (key ?? '').length));
        context.out(lines.map(([key, value]) => `${(key ?? '').padEnd(width)}  ${value}`).join('\n') + '\n');
      }),
    );

  withCommonOptions(profile.command('rm').argument('<id>'), { json: true })
    .alias('remove')
    .description('remove a profile and its keychain entries')
    .action((id: string, options: CommonOptions) =>
      run(options, async (context) => {
        context.requireProfile(id);
        // Keychain first: if it is unavailable the profile stays, so its secret is never orphaned.
        await profileService(context).remove(id);
        if (options.json) return context.json({ removed: true, id });
        context.io.stderr.write(`Removed profile "${id}" and its keychain entries.\n`);
      }),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function addProfile(context: CliContext, id: string, options: AddOptions): Promise<void> {
  const service = profileService(context);
  // Everything but the secret is checked before asking for it, so a typo costs no typing.
  const checked = asUsage(() => service.check(buildProfile(id, options), 'create'));
  const secrets: ProfileSecrets = {};
  for (const field of secretFieldsOf(checked.provider)) {
    const label = labelOf(checked.provider, field);
    secrets[field] = options.secretStdin ? await readSecretFromStdin(context.io.stdin) : await promptSecret(context.io, label);
  }
  // The same save as the dashboard's: validated once, secrets first, rolled back on failure.
  const stored = await asUsageAsync(() => service.save(checked, secrets, 'create'));
  if (options.json) return context.json(stored);
  context.io.stderr.write(`Added profile "${id}" (${PROVIDERS[stored.provider].label}); its secret is in the OS keychain.\n`);
}

function profileService(context: CliContext): ProfileService {
  return new ProfileService({ store: context.store, vault: context.vault, clock: systemClock });
}

/** On the command line a refused profile is bad usage: exit 2 (docs/cli.md), same words and hint. */
function usageOf(error: unknown): unknown {
  if (!(error instanceof TokentrayError) || error.kind !== 'config') return error;
  return new TokentrayError('usage', error.message, error.hint === undefined ? {} : { hint: error.hint });
}

function asUsage<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw usageOf(error);
  }
}

async function asUsageAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw usageOf(error);
  }
}

function buildProfile(id: string, options: AddOptions): Record<string, unknown> {
  const profile: Record<string, unknown> = { id, name: options.name ?? id, provider: options.provider };
  const copy: Array<[keyof AddOptions, string]> = [
    ['clientId', 'clientId'],
    ['username', 'username'],
    ['tokenUrl', 'tokenUrl'],
    ['apiUrl', 'apiUrl'],
    ['baseUrl', 'baseUrl'],
    ['audience', 'audience'],
    ['scope', 'scope'],
    ['authMethod', 'authMethod'],
  ];
  for (const [option, field] of copy) {
    const value = options[option];
    if (typeof value === 'string') profile[field] = value;
  }
  if (options.param && options.param.length > 0) {
    const params: Record<string, string> = {};
    for (const pair of options.param) {
      const at = pair.indexOf('=');
      if (at <= 0) throw usageError(`--param "${pair}" is not key=value.`, 'Write it like --param resource=https://api.example.com');
      params[pair.slice(0, at)] = pair.slice(at + 1);
    }
    profile.extraParams = params;
  }
  if (options.defaultLifetime !== undefined) profile.defaultLifetimeSec = seconds('--default-lifetime', options.defaultLifetime);
  if (options.sessionLifetime !== undefined) profile.sessionLifetimeSec = seconds('--session-lifetime', options.sessionLifetime);
  return profile;
}

function seconds(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw usageError(`${flag} must be a whole number of seconds, not "${value}".`);
  return Number(value);
}

function labelOf(provider: string, field: SecretField): string {
  if (!isProviderId(provider)) return field;
  const spec = PROVIDERS[provider].fields.find((f: FieldSpec) => f.field === field);
  return spec?.label ?? field;
}

/** Which secret fields the keychain holds, without reading them out to the terminal. */
async function secretPresence(context: CliContext, profile: ProfileConfig): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const field of secretFieldsOf(profile.provider)) {
    try {
      const value = await context.vault.getSecret(profile.id, field);
      const where = (await context.chosenVault()).vault.backend === 'file' ? 'the encrypted vault file' : 'the OS keychain';
      result[field] = value === null ? `missing from ${where}` : `stored in ${where}`;
    } catch (error) {
      if (!isTokentrayError(error)) throw error;
      result[field] = `unknown (${error.kind === 'keychain_unavailable' ? 'keychain unavailable' : 'vault unavailable'})`;
    }
  }
  return result;
}
