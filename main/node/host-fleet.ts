// The fleet as a running host keeps it: opened at start from --shared-cache, TOKENTRAY_SHARED_CACHE
// or the setting `sharedCache` (whose password and fleet key the vault keeps), joined once the file
// vault unlocks when only the vault can say how, and joined or left from the dashboard while running.
import type { FleetJoin, FleetSource } from '../../common/contract.js';
import { Emitter } from '../../common/emitter.js';
import type { Core } from '../core/app-core.js';
import { TokentrayError, toTokentrayError } from '../core/errors.js';
import { parseFleetKey } from '../core/fleet/record-crypto.js';
import type { FleetSettings } from '../core/fleet/fleet-settings.js';
import type { ConfBackedStore } from '../core/storage/config-store.js';
import { isLockable, type BackendVault } from '../core/storage/vault-control.js';
import type { Logger } from '../core/types.js';
import { forgetVaultedFleet, readVaultedFleet, saveVaultedFleet } from './shared-cache/fleet-vault.js';
import { connectSharedCache, namingSource, redactUrl, resolveSharedCacheUrl, sharedCacheConfig, sharedCacheConfigWithVault, type SharedCacheConfig } from './shared-cache/open.js';
import type { RedisSharedCache } from './shared-cache/redis-cache.js';

/** How long a join from the dashboard waits for Redis before saving it as "not answering yet". */
const JOIN_WITHIN_MS = 3_000;
/** Redis's words when it refuses who we are: a join with them saves nothing. */
const REFUSED = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username/i;

const SOURCES: Record<SharedCacheConfig['source'], FleetSource> = {
  '--shared-cache': 'flag',
  TOKENTRAY_SHARED_CACHE: 'environment',
  'the setting sharedCache': 'setting',
};

export interface HostFleetOptions {
  sharedCacheFlag?: string | undefined;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  say(line: string): void;
  /** 'exit': a configuration that cannot be used stops the start; 'warn': the host runs alone and says why. */
  badSharedCache: 'warn' | 'exit';
}

export class HostFleet implements FleetSettings {
  readonly #options: HostFleetOptions;
  readonly #store: ConfBackedStore;
  #vault: BackendVault | null = null;
  #cache: RedisSharedCache | null = null;
  #refused: TokentrayError | null = null;
  #source: FleetSource | null = null;
  /** The setting's fleet waits for the file vault to unlock before it can be joined. */
  #waitingForVault = false;
  /** The configuration checked before the vault opened (a URL from the command line or the environment). */
  #early: SharedCacheConfig | null = null;
  #core: Core | null = null;
  readonly #changes: Emitter<RedisSharedCache | null>;
  /** Joins and leaves one after another, never overlapping. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(options: HostFleetOptions, store: ConfBackedStore) {
    this.#options = options;
    this.#store = store;
    this.#changes = new Emitter((error) => options.logger.error('a fleet listener failed', { kind: toTokentrayError(error).kind }));
  }

  /** Fires with the cache shared through from now on (null: none) after a join, a leave or an unlock. */
  onDidChange(listener: (cache: RedisSharedCache | null) => void): () => void {
    return this.#changes.on(listener);
  }

  /**
   * Checks the configured URL before the vault opens, so bad input stops a start having created
   * nothing (badSharedCache 'exit'), or is said once and the host runs alone ('warn').
   */
  checkUrl(): void {
    this.#attempt(() => {
      const sources = this.#sources();
      const resolved = resolveSharedCacheUrl(sources);
      this.#source = resolved === null ? null : SOURCES[resolved.source];
      // A URL from the command line or the environment brings everything with it: check it whole
      // now. The setting's password and key may be in the vault, checked once it is open.
      if (this.#source === 'flag' || this.#source === 'environment') this.#early = sharedCacheConfig(sources);
    });
  }

  /**
   * Joins at start when the vault can be read now (the keychain, or a file unlocked from the
   * environment); a locked file vault postpones the setting's fleet until it unlocks.
   */
  async open(vault: BackendVault): Promise<void> {
    this.#vault = vault;
    if (this.#source === null || this.#refused !== null) return;
    if (this.#source === 'setting' && isLockable(vault) && vault.state !== 'unlocked') {
      this.#waitingForVault = true;
      return;
    }
    const config = this.#early ?? (await this.#attemptAsync(() => this.#configured()));
    if (config !== undefined && config !== null) this.#cache = await this.#connect(config);
  }

  /** Hands the core the cache joined so far; later joins and leaves go to it too. */
  attach(core: Core): void {
    this.#core = core;
  }

  /** Before the engine starts on unlock: the setting's fleet, now that the vault can say how. */
  async beforeEngineStart(): Promise<void> {
    if (!this.#waitingForVault) return;
    this.#waitingForVault = false;
    await this.#serially(async () => {
      try {
        const config = await this.#configured();
        if (config === null) return;
        this.#use(await this.#connect(config));
      } catch (error) {
        // Started already: the host runs alone and says why, whatever the policy at start.
        this.#refuse(toTokentrayError(error));
      }
    });
  }

  get cache(): RedisSharedCache | null {
    return this.#cache;
  }

  get refused(): TokentrayError | null {
    return this.#refused;
  }

  source(): FleetSource | null {
    return this.#cache === null && !this.#waitingForVault ? null : this.#source;
  }

  join(input: FleetJoin): Promise<void> {
    return this.#serially(async () => {
      this.#requireSetting('join another fleet');
      const { location, password, key } = await this.#checkJoin(input);
      const config = sharedCacheConfig({ env: this.#options.env, setting: location, vaulted: { password, key } });
      if (config === null) throw new TokentrayError('internal', 'The fleet could not be configured.');
      const cache = await connectSharedCache(config, { logger: this.#options.logger, withinMs: JOIN_WITHIN_MS });
      const health = cache.health();
      if (health.state !== 'connected' && REFUSED.test(health.reason ?? '')) {
        await cache.close();
        throw new TokentrayError('usage', `Redis at ${location} refused ${password === null ? 'a connection without a password' : 'the password'} (${health.reason ?? 'refused'}); nothing was saved.`, {
          hint: 'Check the password (and the ACL user in the URL) with the Redis administrator.',
        });
      }
      try {
        // The vault first: config.json then never names a fleet whose password was not kept.
        await saveVaultedFleet(this.#openedVault(), location, { password, key });
        this.#store.updateSettings({ sharedCache: location });
      } catch (error) {
        await cache.close();
        throw error;
      }
      this.#source = 'setting';
      this.#refused = null;
      this.#use(cache);
      this.#sayJoined(cache);
    });
  }

  leave(): Promise<void> {
    return this.#serially(async () => {
      this.#requireSetting('leave the fleet');
      this.#waitingForVault = false;
      this.#use(null);
      this.#source = null;
      this.#refused = null;
      this.#store.updateSettings({ sharedCache: undefined });
      await forgetVaultedFleet(this.#openedVault());
      this.#options.say('left the fleet; refreshing alone.');
    });
  }

  async close(): Promise<void> {
    await this.#turn.catch(() => undefined);
    const cache = this.#cache;
    this.#cache = null;
    await cache?.close();
  }

  // ------------------------------------------------------------------------------------------------

  #openedVault(): BackendVault {
    if (this.#vault === null) throw new TokentrayError('internal', 'The fleet was used before the vault opened.');
    return this.#vault;
  }

  #sources() {
    const { sharedCacheFlag: flag, env } = this.#options;
    return { flag, env, setting: this.#store.getSettings().sharedCache };
  }

  /** The checked configuration, with the vault's password and key when the setting is the source. */
  #configured(): Promise<SharedCacheConfig | null> {
    return sharedCacheConfigWithVault(this.#sources(), (location) => readVaultedFleet(this.#openedVault(), location));
  }

  async #connect(config: SharedCacheConfig): Promise<RedisSharedCache> {
    const cache = await connectSharedCache(config, { logger: this.#options.logger });
    this.#sayJoined(cache);
    return cache;
  }

  #sayJoined(cache: RedisSharedCache): void {
    const health = cache.health();
    this.#options.say(
      health.state === 'connected'
        ? `sharing tokens through ${cache.location} (fleet key ${cache.keys.current.id}).`
        : `the shared cache ${cache.location} is unavailable (${health.reason ?? 'no answer'}); working alone until it answers.`,
    );
  }

  /** Swaps the cache the core shares through, and closes the one it replaces. */
  #use(cache: RedisSharedCache | null): void {
    const previous = this.#cache;
    this.#cache = cache;
    this.#core?.joinFleet(cache);
    if (previous !== null && previous !== cache) previous.close().catch(() => undefined);
    this.#changes.emit(cache);
  }

  /** A fleet named on the command line or in the environment is that process's; the dashboard leaves it be. */
  #requireSetting(what: string): void {
    // By precedence, valid or not: a URL there (even one refused at start) wins over the setting at
    // the next start. Without the setting among the sources, only the flag or the environment can name one.
    const named = namingSource({ flag: this.#options.sharedCacheFlag, env: this.#options.env });
    if (named === null) return;
    throw new TokentrayError('usage', `This app shares through the Redis named by ${named.source}, so the dashboard cannot ${what}.`, {
      hint: `Change ${named.source} where the app is started, then restart it.`,
    });
  }

  /**
   * The join's URL without its password, the password (typed, in the URL, or the one kept for this
   * same URL) and the fleet key (typed, or kept), checked as at start; the environment's key wins.
   */
  async #checkJoin(input: FleetJoin): Promise<{ location: string; password: string | null; key: string | null }> {
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new TokentrayError('usage', 'The Redis URL is not a URL.', { hint: 'Write it as redis://[user@]host:port[/db], or rediss://… for TLS.' });
    }
    let inUrl: string | null = null;
    if (url.password !== '') {
      try {
        inUrl = decodeURIComponent(url.password);
      } catch {
        inUrl = url.password;
      }
      url.password = '';
    }
    // The same checks as at start, on the URL as config.json will hold it.
    const resolved = resolveSharedCacheUrl({ env: {}, setting: url.href });
    if (resolved === null) throw new TokentrayError('usage', 'The Redis URL is empty.', { hint: 'Write it as redis://[user@]host:port[/db].' });
    const location = redactUrl(resolved.url);
    if (input.password !== null && input.password !== '' && inUrl !== null && inUrl !== input.password) {
      throw new TokentrayError('usage', 'The URL holds one password and the password field another; nothing was saved.', { hint: 'Give the password once, in the password field.' });
    }
    const kept = await readVaultedFleet(this.#openedVault(), location);
    const password = input.password === null ? (inUrl ?? kept.password) : input.password === '' ? inUrl : input.password;
    const typed = input.key === null || input.key === '' ? null : input.key;
    if (typed !== null) parseFleetKey(typed, 'the fleet key field');
    const envKey = this.#options.env.TOKENTRAY_SHARED_KEY || this.#options.env.TOKENTRAY_SHARED_KEY_FILE;
    if (typed !== null && envKey) {
      throw new TokentrayError('usage', 'This app takes its fleet key from TOKENTRAY_SHARED_KEY (or _FILE); the key typed here would never be used.', {
        hint: 'Leave the key field empty, or start the app without that variable.',
      });
    }
    return { location, password, key: typed ?? kept.key };
  }

  #attempt(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#handleStartProblem(error);
    }
  }

  async #attemptAsync<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      this.#handleStartProblem(error);
      return undefined;
    }
  }

  #handleStartProblem(error: unknown): void {
    const problem = toTokentrayError(error);
    if (this.#options.badSharedCache === 'exit') throw problem;
    this.#refuse(problem);
  }

  #refuse(problem: TokentrayError): void {
    // The messages name the source and never hold a password or a key (shared-cache/open.ts).
    this.#options.logger.warn('the shared cache is not used; refreshing alone', { message: problem.message, hint: problem.hint });
    this.#refused = problem;
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(work, work);
    this.#turn = run.catch(() => undefined);
    return run;
  }
}
