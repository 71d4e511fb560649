// Where a process finds the fleet's shared cache (SPEC section 8): `--shared-cache URL`, else
// TOKENTRAY_SHARED_CACHE, else the setting `sharedCache`; the fleet key from TOKENTRAY_SHARED_KEY or
// TOKENTRAY_SHARED_KEY_FILE (and TOKENTRAY_SHARED_KEY_PREVIOUS, read only). Bad input of any kind is
// a usage error that names the problem and never repeats a password or a key.
import { readFileSync } from 'node:fs';
import { TokentrayError } from '../../core/errors.js';
import type { Logger } from '../../core/types.js';
import { parseFleetKey, type FleetKeys } from '../../core/fleet/record-crypto.js';
import type { VaultedFleet } from './fleet-vault.js';
import { RedisSharedCache } from './redis-cache.js';

export interface SharedCacheSources {
  /** --shared-cache */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** The setting `sharedCache`. */
  setting?: string | undefined;
  /** What the vault keeps for the setting (fleet-vault.ts): read only when the setting is the source. */
  vaulted?: VaultedFleet | undefined;
}

export interface SharedCacheConfig {
  /** The URL to connect to, password included (only ever from the environment or the vault). */
  url: string;
  /** The same URL without its password, for every message and status. */
  location: string;
  source: '--shared-cache' | 'TOKENTRAY_SHARED_CACHE' | 'the setting sharedCache';
  keys: FleetKeys;
  ca?: Buffer;
}

const URL_HINT = 'Write it as redis://[user@]host:port[/db] or rediss://… for TLS; a password goes in TOKENTRAY_SHARED_CACHE or the vault (the dashboard\'s fleet panel), never on the command line or in config.json.';

function usage(message: string, hint: string): TokentrayError {
  return new TokentrayError('usage', message, { hint });
}

/** The URL without its password (the user name stays: it says which ACL user this is). */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.password = '';
  return copy.href.replace(/\/$/, '');
}

/**
 * Which source names the shared cache, by precedence (the flag, the environment, the setting), and
 * its text, unchecked; null when none does.
 */
export function namingSource(sources: SharedCacheSources): { raw: string; source: SharedCacheConfig['source'] } | null {
  const candidates: Array<[string | undefined, SharedCacheConfig['source']]> = [
    [sources.flag, '--shared-cache'],
    [sources.env.TOKENTRAY_SHARED_CACHE, 'TOKENTRAY_SHARED_CACHE'],
    [sources.setting, 'the setting sharedCache'],
  ];
  const found = candidates.find(([value]) => value !== undefined && value.trim() !== '');
  return found === undefined ? null : { raw: found[0] as string, source: found[1] };
}

/** Which URL applies, checked; null when no shared cache is configured at all. */
export function resolveSharedCacheUrl(sources: SharedCacheSources): { url: URL; source: SharedCacheConfig['source'] } | null {
  const found = namingSource(sources);
  if (found === null) {
    if (sources.flag !== undefined) throw usage('--shared-cache is empty.', URL_HINT);
    return null;
  }
  const { raw, source } = found;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw usage(`The shared cache URL from ${source} is not a URL.`, URL_HINT);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw usage(`The shared cache URL from ${source} must start with redis:// or rediss://, not ${url.protocol}//.`, URL_HINT);
  }
  if (url.hostname === '') throw usage(`The shared cache URL from ${source} names no host.`, URL_HINT);
  if (!/^(\/\d{0,2})?$/.test(url.pathname) || (url.pathname.length > 1 && Number(url.pathname.slice(1)) > 15)) {
    throw usage(`The shared cache URL from ${source} has a path other than a database number (/0 to /15).`, URL_HINT);
  }
  if (url.search !== '' || url.hash !== '') throw usage(`The shared cache URL from ${source} has a query or fragment, which Tokentray does not read.`, URL_HINT);
  if (url.password !== '' && source !== 'TOKENTRAY_SHARED_CACHE') {
    // argv is visible to every user of the machine (ps) and config.json is not a vault.
    throw usage(`The shared cache URL from ${source} holds a password; nothing was started.`, 'Put the URL with its password in TOKENTRAY_SHARED_CACHE instead (a mounted secret or the service environment), or join the fleet in the dashboard\'s settings, which keeps the password in the vault.');
  }
  return { url, source };
}

/**
 * The fleet key (and the previous one during a rotation); no key, no shared cache. The environment
 * comes first; a key kept in the vault (a fleet joined in the dashboard) is used only without one.
 */
export function readFleetKeys(env: NodeJS.ProcessEnv, vaultedKey: string | null = null): FleetKeys {
  const inline = env.TOKENTRAY_SHARED_KEY;
  const file = env.TOKENTRAY_SHARED_KEY_FILE;
  const hint = 'Make one with `tokentray shared-cache keygen` and give every machine of the fleet the same TOKENTRAY_SHARED_KEY (or TOKENTRAY_SHARED_KEY_FILE).';
  if (inline !== undefined && inline !== '' && file !== undefined && file !== '') {
    throw usage('Both TOKENTRAY_SHARED_KEY and TOKENTRAY_SHARED_KEY_FILE are set.', 'Set only one of them.');
  }
  let current;
  if (inline !== undefined && inline !== '') current = parseFleetKey(inline, 'TOKENTRAY_SHARED_KEY');
  else if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw usage(`The fleet key file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, hint);
    }
    current = parseFleetKey(text, `the file ${file}`);
  } else if (vaultedKey !== null) {
    current = parseFleetKey(vaultedKey, 'the vault (saved when this fleet was joined)');
  } else {
    throw usage('A shared cache is configured but there is no fleet key; nothing is shared without one.', hint);
  }
  const previousText = env.TOKENTRAY_SHARED_KEY_PREVIOUS;
  const previous = previousText === undefined || previousText === '' ? null : parseFleetKey(previousText, 'TOKENTRAY_SHARED_KEY_PREVIOUS');
  return { current, previous: previous !== null && previous.id === current.id ? null : previous };
}

/** The whole configuration, checked, or null when none is configured. Connects to nothing. */
export function sharedCacheConfig(sources: SharedCacheSources): SharedCacheConfig | null {
  const resolved = resolveSharedCacheUrl(sources);
  if (resolved === null) return null;
  const { url, source } = resolved;
  const location = redactUrl(url);
  // The vault's password and key belong to the setting alone: a URL from the command line or the
  // environment comes with its own.
  const vaulted = source === 'the setting sharedCache' ? sources.vaulted : undefined;
  if (vaulted?.password != null && url.password === '') url.password = encodeURIComponent(vaulted.password);
  const keys = readFleetKeys(sources.env, vaulted?.key ?? null);
  const config: SharedCacheConfig = { url: url.href, location, source, keys };
  const caFile = sources.env.TOKENTRAY_SHARED_CACHE_CA;
  if (caFile !== undefined && caFile !== '') {
    if (url.protocol !== 'rediss:') throw usage('TOKENTRAY_SHARED_CACHE_CA is set but the shared cache URL is not rediss://.', 'Use rediss:// for TLS, or unset TOKENTRAY_SHARED_CACHE_CA.');
    try {
      config.ca = readFileSync(caFile);
    } catch (error) {
      throw usage(`The CA file ${caFile} (TOKENTRAY_SHARED_CACHE_CA) cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, 'Point TOKENTRAY_SHARED_CACHE_CA at a PEM file this user can read.');
    }
  }
  return config;
}

/**
 * The configuration as sharedCacheConfig checks it, with what the vault keeps for the setting read
 * first, and only when the setting is the source (the vault may need a passphrase).
 */
export async function sharedCacheConfigWithVault(
  sources: SharedCacheSources,
  vaulted: (location: string) => Promise<VaultedFleet | undefined>,
): Promise<SharedCacheConfig | null> {
  const resolved = resolveSharedCacheUrl(sources);
  if (resolved === null) return null;
  if (resolved.source !== 'the setting sharedCache') return sharedCacheConfig(sources);
  return sharedCacheConfig({ ...sources, vaulted: await vaulted(redactUrl(resolved.url)) });
}

/**
 * Opens the shared cache when one is configured: checks everything first (throws a usage error),
 * then connects within `withinMs`. An unreachable Redis is not an error: the cache says
 * "unavailable", the process works alone, and it rejoins once Redis answers.
 */
export async function openSharedCache(
  sources: SharedCacheSources,
  options: { logger?: Logger; withinMs?: number; vaulted?: (location: string) => Promise<VaultedFleet | undefined> } = {},
): Promise<RedisSharedCache | null> {
  const config = options.vaulted === undefined ? sharedCacheConfig(sources) : await sharedCacheConfigWithVault(sources, options.vaulted);
  return config === null ? null : connectSharedCache(config, options);
}

/** Connects to a checked configuration within `withinMs`; resolves connected or not (its health says). */
export async function connectSharedCache(config: SharedCacheConfig, options: { logger?: Logger; withinMs?: number } = {}): Promise<RedisSharedCache> {
  const cache = new RedisSharedCache({
    url: config.url,
    location: config.location,
    keys: config.keys,
    ...(config.ca === undefined ? {} : { ca: config.ca }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  await cache.connect(options.withinMs);
  return cache;
}

/**
 * For the CLI and `serve`: opens the configured shared cache and says in one line on stderr where it
 * is and whether it answers (or that this process works alone until it does).
 */
export async function openSharedCacheFor(options: {
  flag: string | undefined;
  env: NodeJS.ProcessEnv;
  setting: () => string | undefined;
  stderr: NodeJS.WritableStream;
  scope: string;
  logger?: Logger;
  /** What the vault keeps for the setting (a fleet joined in the dashboard). */
  vaulted?: (location: string) => Promise<VaultedFleet | undefined>;
}): Promise<RedisSharedCache | null> {
  const sources: SharedCacheSources = { flag: options.flag, env: options.env };
  // The setting is read only when neither the flag nor the environment names one.
  if ((options.flag === undefined || options.flag === '') && !options.env.TOKENTRAY_SHARED_CACHE) sources.setting = options.setting();
  const cache = await openSharedCache(sources, {
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.vaulted === undefined ? {} : { vaulted: options.vaulted }),
  });
  if (cache === null) return null;
  const health = cache.health();
  if (health.state === 'connected') {
    if (options.env.TOKENTRAY_DEBUG || options.scope !== 'tokentray') options.stderr.write(`${options.scope}: sharing tokens through ${cache.location} (fleet key ${cache.keys.current.id}).\n`);
  } else {
    options.stderr.write(`${options.scope}: the shared cache ${cache.location} is unavailable (${health.reason ?? 'no answer'}); working alone until it answers.\n`);
  }
  return cache;
}
