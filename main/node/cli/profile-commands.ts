// `tokentray profile add|list|show|rm` (docs/cli.md), through the same profile service as the
// dashboard: `add` validates everything first and changes nothing on invalid input; the secret goes to
// the vault in use, the rest to the JSON store.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CreatedProfile, SecretPresence } from '../../../common/admin-verbs.js';
import type { AppAdmin } from '../app-admin.js';
import type { ProfileConfig, ProfileSecrets, VaultBackend } from '../../../common/contract.js';
import { ANY_VAULT, vaultPlace } from '../../../common/vault-place.js';
import {
  AUTH_METHODS,
  KEY_AUTH_PROVIDERS,
  PROVIDERS,
  SIGNING_ALGS,
  isProviderId,
  secretFieldsFor,
  type FieldSpec,
  type SecretField,
} from '../../../common/providers.js';
import { systemClock } from '../../core/clock.js';
import { ProfileService } from '../../core/engine/profile-service.js';
import { TokentrayError, isProviderErrorKind, isTokentrayError } from '../../core/errors.js';
import { table, usageError, type CliContext, type CliIo, type CommonOptions } from './context.js';
import { errorText } from './output.js';
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
  /** False with --no-test. */
  test: boolean;
  privateKeyStdin?: boolean;
  keyId?: string;
  signingAlg?: string;
  assertionAudience?: string;
  clientCert?: string;
  caFile?: string;
  sharedOnly?: boolean;
}

export function registerProfileCommands(program: Command, _io: CliIo, run: Runner): void {
  const profile = program.command('profile').description('add, list, show and remove profiles');

  withCommonOptions(profile.command('add').argument('<id>', 'profile id: 1-64 characters of a-z, 0-9 and -'), {
    json: true,
  })
    .description(`create a profile: test its credential with a token request, then store its secret in ${ANY_VAULT}`)
    .requiredOption('--provider <provider>', `one of: ${Object.keys(PROVIDERS).join(', ')}`)
    .option('--name <name>', 'display name (default: the id)')
    .option('--client-id <id>', 'client id / API key / public key')
    .option('--username <name>', 'username (camunda-operate-cookie)')
    .option('--token-url <url>', 'token endpoint (overrides the provider default)')
    .option('--api-url <url>', 'API base URL')
    .option('--base-url <url>', 'base URL (camunda-operate-cookie)')
    .option('--audience <audience>', 'audience')
    .option('--scope <scope>', 'scope')
    .option('--auth-method <method>', `client authentication: ${AUTH_METHODS.join(', ')} (the key methods: ${KEY_AUTH_PROVIDERS.join(', ')})`)
    .option('--param <key=value>', 'extra token request parameter (oauth2), repeatable', collect, [])
    .option('--default-lifetime <seconds>', 'lifetime when the answer has neither expires_in nor a JWT exp')
    .option('--session-lifetime <seconds>', 'how long a login session is trusted (camunda-operate-cookie)')
    .option('--secret-stdin', 'read the secret (client secret or password) from stdin')
    .option('--no-test', 'save without first requesting a token to test the credential')
    .option('--private-key-stdin', 'read the private key (PEM or private JWK) from stdin, for the key methods of --auth-method')
    .option('--key-id <kid>', 'the kid of the signed client assertion (private_key_jwt)')
    .option('--signing-alg <alg>', `the client assertion's algorithm: ${SIGNING_ALGS.join(', ')} (default: from the key)`)
    .option('--assertion-audience <aud>', "the client assertion's aud (default: the token URL)")
    .option('--client-cert <file>', 'the client certificate, PEM (tls_client_auth, self_signed_tls_client_auth)')
    .option('--ca-file <file>', 'a CA bundle (PEM) to trust for the token URL and the API, instead of the system CAs')
    .option('--shared-only', "no secret here: only read the fleet's token from the shared cache (needs --shared-cache)")
    .addHelpText(
      'after',
      '\nThe credential is tested first with a token request, as the dashboard\'s Test does: a rejected one is\nexit 4 and nothing is saved; a provider that cannot be reached saves it with a warning.\nWhile Tokentray runs for this config directory, the profile is added through it (its vault, no passphrase).',
    )
    .action((id: string, options: AddOptions) => run(options, (context) => addProfile(context, id, options)));

  withCommonOptions(profile.command('list'), { json: true })
    .description('list profiles (never secrets)')
    .action((options: CommonOptions) =>
      run(options, async (context) => {
        const app = await context.app();
        const profiles = app !== null ? await app.call('profiles:list', {}) : context.store.listProfiles();
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
        const app = await context.app();
        let config: ProfileConfig;
        let secrets: Record<string, string>;
        if (app !== null) {
          const shown = await app.call('profiles:show', { id });
          config = shown.profile;
          secrets = Object.fromEntries(Object.entries(shown.secrets).map(([field, presence]) => [field, presenceWords(presence, shown.backend)]));
        } else {
          config = context.requireProfile(id);
          secrets = await secretPresence(context, config);
        }
        if (options.json) return context.json({ ...config, secrets });
        const lines = Object.entries(config).map(([key, value]) => [key, typeof value === 'object' ? JSON.stringify(value) : String(value)]);
        for (const [field, present] of Object.entries(secrets)) lines.push([field, present]);
        const width = Math.max(...lines.map(([key]) => (key ?? '').length));
        context.out(lines.map(([key, value]) => `${(key ?? '').padEnd(width)}  ${value}`).join('\n') + '\n');
      }),
    );

  withCommonOptions(profile.command('rm').argument('<id>'), { json: true })
    .alias('remove')
    .description(`remove a profile, and its secrets and cached token from ${ANY_VAULT}`)
    .action((id: string, options: CommonOptions) =>
      run(options, async (context) => {
        const app = await context.app();
        if (app !== null) await app.call('profiles:remove', { id });
        else {
          context.requireProfile(id);
          // The vault first: if it is unavailable the profile stays, so its secret is never orphaned.
          await profileService(context).remove(id);
        }
        if (options.json) return context.json({ removed: true, id });
        context.io.stderr.write(`Removed profile "${id}" and its entries in ${await vaultInUse(context)}.\n`);
      }),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function addProfile(context: CliContext, id: string, options: AddOptions): Promise<void> {
  const app = await context.app();
  // Everything but the secret is checked before asking for it, so a typo costs no typing.
  if (options.sharedOnly === true) return addSharedOnly(context, app, id, options);
  const profile = buildProfile(id, options, await readClientCert(options));
  const checked = await asUsageAsync(async () => (app !== null ? app.call('profiles:check', { profile }) : profileService(context).check(profile, 'create')));
  const secrets: ProfileSecrets = {};
  for (const field of secretFieldsFor(checked)) {
    const label = labelOf(checked.provider, field);
    secrets[field] = field === 'privateKey' ? await readPrivateKey(context, options) : options.secretStdin ? await readSecretFromStdin(context.io.stdin) : await promptSecret(context.io, label);
  }
  if (options.privateKeyStdin && secrets.privateKey === undefined) {
    throw usageError('--private-key-stdin goes with a key method of --auth-method.', 'Add --auth-method private_key_jwt (or tls_client_auth, self_signed_tls_client_auth), or leave --private-key-stdin out.');
  }
  // The same creation as the app's: validated once, tested, secrets first, rolled back on failure.
  const created = await asUsageAsync(async () => {
    try {
      return app !== null ? await app.call('profiles:add', { profile: checked, secrets, test: options.test }) : await createHere(context, checked, secrets, options.test);
    } catch (error) {
      throw nothingSaved(error);
    }
  });
  const stored = created.profile;
  if (created.warning !== undefined) {
    context.io.stderr.write(
      errorText(`warning: the credential could not be tested (${created.warning.message}); the profile was saved untested.`, 'Run `tokentray token ' + id + '` once the provider can be reached.'),
    );
  }
  if (options.json) return context.json(stored);
  context.io.stderr.write(`Added profile "${id}" (${PROVIDERS[stored.provider].label}); its secret is in ${vaultPlace(created.backend)}.\n`);
  if (created.test === 'passed') context.io.stderr.write('The credential was tested with a token request; that token is cached for the next use.\n');
}

/** Without a running app: the same engine method the app runs, in this process, on this store and vault. */
async function createHere(context: CliContext, profile: ProfileConfig, secrets: ProfileSecrets, test: boolean): Promise<CreatedProfile & { backend: VaultBackend }> {
  const [{ TokenEngine }, { createProviderRegistry }] = await Promise.all([import('../../core/engine/token-engine.js'), import('../../core/providers/index.js')]);
  const engine = new TokenEngine({
    store: context.store,
    vault: context.vault,
    providers: createProviderRegistry(),
    clock: systemClock,
    fetch: (input, init) => fetch(input, init),
    logger: context.logger,
  });
  const created = await engine.createProfile(profile, secrets, { test });
  return { ...created, backend: (await context.chosenVault()).vault.backend };
}

/** A provider's refusal of the test says, in the same breath, that nothing was kept. */
function nothingSaved(error: unknown): unknown {
  if (!(error instanceof TokentrayError) || !isProviderErrorKind(error.kind)) return error;
  return new TokentrayError(error.kind, `${error.message} The profile was not saved.`, {
    hint: error.hint ?? 'Check the credential and the URLs, then add it again (or pass --no-test to save it untested).',
  });
}

function presenceWords(presence: SecretPresence, backend: VaultBackend): string {
  if (presence === 'stored') return `stored in ${vaultPlace(backend)}`;
  if (presence === 'missing') return `missing from ${vaultPlace(backend)}`;
  return `unknown (${backend === 'file' ? 'vault unavailable' : 'keychain unavailable'})`;
}

/** The vault this command used (already chosen by the time a secret was read or written). */
async function vaultInUse(context: CliContext): Promise<string> {
  return vaultPlace((await context.chosenVault()).vault.backend);
}

/**
 * A profile that holds no secret and only reads the fleet's token (SPEC section 8): no secret is
 * asked, nothing goes to the vault, and it makes sense only where a shared cache is configured.
 */
async function addSharedOnly(context: CliContext, app: AppAdmin | null, id: string, options: AddOptions): Promise<void> {
  if (options.secretStdin === true) {
    throw usageError('--shared-only takes no secret, so --secret-stdin makes no sense with it; nothing was saved.', 'Leave out --secret-stdin, or --shared-only to store the secret here.');
  }
  if (app !== null) {
    // The running app is the one writer, and the one whose shared cache the profile will read.
    const profile = { ...buildProfile(id, options, undefined), sharedOnly: true };
    const created = await asUsageAsync(() => app.call('profiles:add', { profile, secrets: {}, test: false }));
    if (options.json) return context.json(created.profile);
    context.io.stderr.write(`Added profile "${id}" (${PROVIDERS[created.profile.provider].label}), shared-only: it reads the fleet's token and holds no secret here.\n`);
    return;
  }
  if (!(await context.sharedCacheConfigured())) {
    throw usageError('--shared-only needs a shared cache, and none is configured; nothing was saved.', 'Give the fleet\'s Redis with --shared-cache URL or TOKENTRAY_SHARED_CACHE (and the fleet key in TOKENTRAY_SHARED_KEY).');
  }
  const service = profileService(context);
  const checked = await asUsageAsync(async () => service.check({ ...buildProfile(id, options, undefined), sharedOnly: true }, 'create'));
  const stored = await asUsageAsync(() => service.save(checked, {}, 'create'));
  if (options.json) return context.json(stored);
  context.io.stderr.write(`Added profile "${id}" (${PROVIDERS[stored.provider].label}), shared-only: it reads the fleet's token and holds no secret here.\n`);
}

function profileService(context: CliContext): ProfileService {
  return new ProfileService({ store: context.store, vault: context.vault, clock: systemClock });
}

/** On the command line a refused profile is bad usage: exit 2 (docs/cli.md), same words and hint. */
function usageOf(error: unknown): unknown {
  if (!(error instanceof TokentrayError) || error.kind !== 'config') return error;
  return new TokentrayError('usage', error.message, error.hint === undefined ? {} : { hint: error.hint });
}

async function asUsageAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw usageOf(error);
  }
}

/**
 * A private key is several lines of PEM or JSON, so it comes only from stdin, never from a prompt
 * (a pasted PEM would end at its first line) and never from argv.
 */
async function readPrivateKey(context: CliContext, options: AddOptions): Promise<string> {
  if (!options.privateKeyStdin) {
    throw usageError(`--auth-method ${options.authMethod ?? 'with a key'} needs the private key on stdin.`, 'Pipe it in with --private-key-stdin, e.g. `tokentray profile add … --private-key-stdin < key.pem`.');
  }
  if (options.secretStdin) throw usageError('--secret-stdin and --private-key-stdin both read stdin; a key method needs no client secret.', 'Leave --secret-stdin out.');
  return readSecretFromStdin(context.io.stdin);
}

/** The certificate file's PEM text (public: it goes to config.json), or a usage error naming the file. */
async function readClientCert(options: AddOptions): Promise<string | undefined> {
  if (options.clientCert === undefined) return undefined;
  try {
    return await readFile(options.clientCert, 'utf8');
  } catch (error) {
    throw usageError(`--client-cert ${options.clientCert} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}).`, 'Give the path of the PEM certificate file.');
  }
}

function buildProfile(id: string, options: AddOptions, clientCert: string | undefined): Record<string, unknown> {
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
    ['keyId', 'keyId'],
    ['signingAlg', 'signingAlg'],
    ['assertionAudience', 'assertionAudience'],
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
  if (clientCert !== undefined) profile.clientCert = clientCert;
  // The CA file is read when used, so it is kept as an absolute path: the app runs from elsewhere.
  if (options.caFile !== undefined) profile.caFile = resolve(options.caFile);
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

/** Which secret fields the vault holds, without reading them out to the terminal. */
async function secretPresence(context: CliContext, profile: ProfileConfig): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const field of secretFieldsFor(profile)) {
    try {
      const value = await context.vault.getSecret(profile.id, field);
      const where = await vaultInUse(context);
      result[field] = value === null ? `missing from ${where}` : `stored in ${where}`;
    } catch (error) {
      if (!isTokentrayError(error)) throw error;
      result[field] = `unknown (${error.kind === 'keychain_unavailable' ? 'keychain unavailable' : 'vault unavailable'})`;
    }
  }
  return result;
}
