// Keeps every token file of config.json current (SPEC section 7; docs/sinks.md): it follows each
// profile with sinks through the engine (token-follower.ts), rewrites its files after every refresh,
// removes them the moment the token stops being valid, and runs the profile's hooks once after its
// files changed. Files and processes come in as ports (main/node/sink-writer.ts, sink-hooks.ts), so
// the core stays free of node I/O. A hook never reaches the engine: failing hooks cost no token request.
import type { ActivityKind, ProfileConfig, SinkConfig, SinkStatus } from '../../../common/contract.js';
import type { Clock, TimerHandle } from '../clock.js';
import { backoffDelay } from '../engine/backoff.js';
import { toTokentrayError } from '../errors.js';
import { NOOP_LOGGER } from '../logger.js';
import type { ConfigStore, Engine, Logger, Token } from '../types.js';
import { authHeaderValue } from './header-lines.js';
import { renderSink } from './render.js';
import { modeBits } from './sink-input.js';
import { followToken, type TokenChange, type TokenFollower } from './token-follower.js';

/** The hardened writer (main/node/sink-writer.ts). Both throw a TokentrayError whose message names the path and why. */
export interface SinkFiles {
  /** Writes atomically at exactly `mode`; 'unchanged' when the file already holds this content at this mode. */
  write(path: string, content: string, mode: number): Promise<'written' | 'unchanged'>;
  /** Removes the file if it is one (never follows a link); true when something was removed. */
  remove(path: string): Promise<boolean>;
}

export type Hook = { kind: 'command'; argv: readonly string[] } | { kind: 'signal'; signal: string; pidFile: string };

export interface HookOutcome {
  ok: boolean;
  /** Exit status and output in a line or two, e.g. `exit 1: unit not found`. */
  summary: string;
}

/** Runs hooks without a shell (main/node/sink-hooks.ts); never throws. */
export interface HookRunner {
  run(hook: Hook, timeoutMs: number): Promise<HookOutcome>;
}

export interface SinkPorts {
  files: SinkFiles;
  hooks: HookRunner;
}

export interface SinkKeeperOptions {
  /** A hook still running after this long is stopped and counts as failed (SPEC section 7: 30 s). */
  hookTimeoutMs: number;
  /** A failed hook is run again after this, doubling up to the cap. */
  hookBackoffBaseMs: number;
  hookBackoffMaxMs: number;
}

export const DEFAULT_SINK_KEEPER_OPTIONS: SinkKeeperOptions = { hookTimeoutMs: 30_000, hookBackoffBaseMs: 5_000, hookBackoffMaxMs: 300_000 };

export interface SinkKeeperDeps {
  engine: Engine;
  store: Pick<ConfigStore, 'listSinks' | 'getProfile' | 'onDidChange'>;
  ports: SinkPorts;
  clock: Clock;
  logger?: Logger;
  random?: () => number;
  options?: Partial<SinkKeeperOptions>;
}

/** The client name under which a token written to a file is recorded as handed out. */
export const SINK_CLIENT = 'sink';

interface KeptSink {
  config: SinkConfig;
  writtenAt: number | null;
  present: boolean;
  reason: string | null;
}

interface HookState {
  hook: Hook;
  running: boolean;
  /** The files changed again while it ran or waited: run once more after. */
  again: boolean;
  failures: number;
  retry: TimerHandle | null;
  last: string | null;
}

interface KeptProfile {
  id: string;
  sinks: Map<string, KeptSink>;
  follower: TokenFollower | null;
  token: Token | null;
  goneReason: string;
  /** One pass at a time per profile, in order. */
  queue: Promise<void>;
  hooks: Map<string, HookState>;
}

export function hookOf(sink: SinkConfig): Hook | null {
  if (sink.onChange !== undefined) return { kind: 'command', argv: sink.onChange };
  if (sink.signal !== undefined && sink.pidFile !== undefined) return { kind: 'signal', signal: sink.signal, pidFile: sink.pidFile };
  return null;
}

function hookKey(hook: Hook): string {
  return hook.kind === 'command' ? `command:${JSON.stringify(hook.argv)}` : `signal:${hook.signal}:${hook.pidFile}`;
}

export class SinkKeeper {
  readonly #deps: SinkKeeperDeps;
  readonly #options: SinkKeeperOptions;
  readonly #logger: Logger;
  readonly #profiles = new Map<string, KeptProfile>();
  readonly #listeners = new Set<(profileId: string) => void>();
  #unwatch: (() => void) | null = null;
  #running = false;

  constructor(deps: SinkKeeperDeps) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_SINK_KEEPER_OPTIONS, ...deps.options };
    this.#logger = deps.logger ?? NOOP_LOGGER;
  }

  /** Begins keeping the files; call after the engine started (its cached tokens are loaded). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unwatch = this.#deps.store.onDidChange(() => this.#sync());
    this.#sync();
  }

  /**
   * Stops, then removes every file it kept: nothing keeps them fresh any more, and a file never holds
   * an expired token (SPEC section 7). Hooks still running finish on their own timeout.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unwatch?.();
    this.#unwatch = null;
    const kept = [...this.#profiles.values()];
    this.#profiles.clear();
    await Promise.all(
      kept.map(async (profile) => {
        profile.follower?.stop();
        for (const hook of profile.hooks.values()) if (hook.retry !== null) this.#deps.clock.clearTimeout(hook.retry);
        await profile.queue;
        await this.#removeAll(profile, [...profile.sinks.values()], 'Tokentray stopped, so nothing keeps it fresh');
      }),
    );
  }

  /** The profile's sinks as shown in its status, or undefined when it has none. */
  statusOf(profileId: string): SinkStatus[] | undefined {
    const profile = this.#profiles.get(profileId);
    if (profile === undefined || profile.sinks.size === 0) return undefined;
    return [...profile.sinks.values()].map((sink) => {
      const hook = hookOf(sink.config);
      return {
        path: sink.config.path,
        format: sink.config.format,
        mode: sink.config.mode,
        writtenAt: sink.writtenAt === null ? null : new Date(sink.writtenAt).toISOString(),
        present: sink.present,
        reason: sink.reason,
        hook: hook === null ? null : (profile.hooks.get(hookKey(hook))?.last ?? null),
      };
    });
  }

  /** A profile's sinks changed state (written, removed, a hook ran). Returns unsubscribe. */
  onDidChange(listener: (profileId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Resolves once every pass queued so far has finished (tests, the benchmark). */
  async settled(): Promise<void> {
    await Promise.all([...this.#profiles.values()].map((profile) => profile.queue));
  }

  // ---------------------------------------------------------------- following config.json

  #sync(): void {
    if (!this.#running) return;
    let sinks: SinkConfig[];
    try {
      sinks = this.#deps.store.listSinks();
    } catch (error) {
      this.#logger.warn('could not read the token files from the config', { kind: toTokentrayError(error).kind });
      return;
    }
    const wanted = new Map<string, SinkConfig[]>();
    for (const sink of sinks) wanted.set(sink.profileId, [...(wanted.get(sink.profileId) ?? []), sink]);
    for (const [id, profile] of this.#profiles) {
      if (!wanted.has(id)) this.#reconfigure(profile, []);
    }
    for (const [id, list] of wanted) {
      let profile = this.#profiles.get(id);
      if (profile === undefined) {
        profile = { id, sinks: new Map(), follower: null, token: null, goneReason: 'no valid token yet', queue: Promise.resolve(), hooks: new Map() };
        this.#profiles.set(id, profile);
        this.#reconfigure(profile, list);
        const kept = profile;
        kept.follower = followToken(this.#deps.engine, this.#deps.clock, id, { client: SINK_CLIENT }, (change) => this.#onToken(kept, change));
      } else {
        this.#reconfigure(profile, list);
      }
    }
  }

  /** Applies the profile's sinks from the config: removed ones lose their file, new or changed ones get written. */
  #reconfigure(profile: KeptProfile, list: readonly SinkConfig[]): void {
    const next = new Map(list.map((config) => [config.path, config]));
    const dropped = [...profile.sinks.values()].filter((sink) => !next.has(sink.config.path));
    let changed = dropped.length > 0;
    for (const sink of dropped) profile.sinks.delete(sink.config.path);
    for (const config of list) {
      const existing = profile.sinks.get(config.path);
      if (existing !== undefined && JSON.stringify(existing.config) === JSON.stringify(config)) continue;
      profile.sinks.set(config.path, { config, writtenAt: null, present: false, reason: 'not written yet', ...(existing === undefined ? {} : { writtenAt: existing.writtenAt }) });
      changed = true;
    }
    if (!changed) return;
    if (dropped.length > 0) this.#enqueue(profile, () => this.#removeAll(profile, dropped, 'its sink was removed'));
    if (list.length === 0) {
      profile.follower?.stop();
      this.#profiles.delete(profile.id);
      return;
    }
    if (profile.follower !== null) this.#enqueue(profile, () => this.#pass(profile));
  }

  // ---------------------------------------------------------------- writing

  #onToken(profile: KeptProfile, change: TokenChange): void {
    if (change.kind === 'token') profile.token = change.token;
    else {
      profile.token = null;
      profile.goneReason = change.reason;
    }
    this.#enqueue(profile, () => this.#pass(profile));
  }

  #enqueue(profile: KeptProfile, work: () => Promise<void>): void {
    profile.queue = profile.queue.then(work).catch((error: unknown) => {
      this.#logger.error('a token file pass failed', { profile: profile.id, kind: toTokentrayError(error).kind });
    });
  }

  /** Brings every file of the profile in line with its current token (or its absence). */
  async #pass(profile: KeptProfile): Promise<void> {
    if (!this.#running || this.#profiles.get(profile.id) !== profile) return;
    const token = profile.token;
    const sinks = [...profile.sinks.values()];
    if (token === null) {
      await this.#removeAll(profile, sinks, profile.goneReason);
      this.#changed(profile.id);
      return;
    }
    let config: ProfileConfig | undefined;
    try {
      config = this.#deps.store.getProfile(profile.id);
    } catch (error) {
      config = undefined;
      this.#logger.warn('could not read the profile for its token files', { profile: profile.id, kind: toTokentrayError(error).kind });
    }
    const written: KeptSink[] = [];
    for (const sink of sinks) {
      const rendered = config === undefined ? { ok: false as const, reason: 'the profile no longer exists' } : renderSink(sink.config, config, token, this.#deps.clock.now());
      if (!rendered.ok) {
        await this.#fail(profile, sink, rendered.reason);
        continue;
      }
      try {
        const outcome = await this.#deps.ports.files.write(sink.config.path, rendered.content, modeBits(sink.config.mode));
        sink.writtenAt = this.#deps.clock.now();
        sink.present = true;
        sink.reason = null;
        if (outcome === 'written') {
          written.push(sink);
          this.#record('sink-written', profile.id, `${sink.config.path} (${sink.config.format}, ${sink.config.mode})`);
        }
      } catch (error) {
        await this.#fail(profile, sink, toTokentrayError(error).message);
      }
    }
    this.#changed(profile.id);
    const hooks = new Map<string, Hook>();
    for (const sink of written) {
      const hook = hookOf(sink.config);
      if (hook !== null) hooks.set(hookKey(hook), hook);
    }
    for (const [key, hook] of hooks) this.#trigger(profile, key, hook);
  }

  /** The file cannot hold the current token: say why once, and take away the old one it may hold. */
  async #fail(profile: KeptProfile, sink: KeptSink, reason: string): Promise<void> {
    if (sink.reason !== reason) {
      this.#record('sink-failed', profile.id, `${sink.config.path}: ${reason}`);
      this.#logger.warn('a token file was not written', { profile: profile.id, path: sink.config.path });
    }
    sink.reason = reason;
    sink.present = false;
    try {
      await this.#deps.ports.files.remove(sink.config.path);
    } catch {
      // Refused (a symlinked or foreign folder): nothing of ours is reachable there to remove.
    }
  }

  async #removeAll(profile: KeptProfile, sinks: readonly KeptSink[], reason: string): Promise<void> {
    for (const sink of sinks) {
      let removed = false;
      try {
        removed = await this.#deps.ports.files.remove(sink.config.path);
      } catch (error) {
        this.#logger.warn('a token file could not be removed', { profile: profile.id, path: sink.config.path, kind: toTokentrayError(error).kind });
      }
      if (removed) this.#record('sink-removed', profile.id, `${sink.config.path}: ${reason}`);
      sink.present = false;
      sink.reason = reason;
    }
  }

  // ---------------------------------------------------------------- hooks

  #trigger(profile: KeptProfile, key: string, hook: Hook): void {
    let state = profile.hooks.get(key);
    if (state === undefined) {
      state = { hook, running: false, again: false, failures: 0, retry: null, last: null };
      profile.hooks.set(key, state);
    }
    // One run at a time; a change meanwhile (or during back-off) makes exactly one more run.
    if (state.running || state.retry !== null) {
      state.again = true;
      return;
    }
    void this.#runHook(profile, state);
  }

  async #runHook(profile: KeptProfile, state: HookState): Promise<void> {
    if (!this.#running || this.#profiles.get(profile.id) !== profile) return;
    state.running = true;
    state.again = false;
    const outcome = await this.#deps.ports.hooks.run(state.hook, this.#options.hookTimeoutMs);
    state.running = false;
    const summary = redact(outcome.summary, profile.token);
    state.last = outcome.ok ? summary : `failed (${state.failures + 1}): ${summary}`;
    this.#record(outcome.ok ? 'hook-ran' : 'hook-failed', profile.id, `${describeHook(state.hook)}: ${summary}`);
    this.#changed(profile.id);
    if (!this.#running || this.#profiles.get(profile.id) !== profile) return;
    if (outcome.ok) {
      state.failures = 0;
      if (state.again) void this.#runHook(profile, state);
      return;
    }
    // Retried with capped back-off; only the hook runs again, the engine is never asked for a token.
    state.failures += 1;
    const delay = backoffDelay(state.failures, { baseMs: this.#options.hookBackoffBaseMs, maxMs: this.#options.hookBackoffMaxMs }, this.#deps.random ?? Math.random);
    state.retry = this.#deps.clock.setTimeout(() => {
      state.retry = null;
      void this.#runHook(profile, state);
    }, delay);
  }

  // ---------------------------------------------------------------- telling

  #record(kind: ActivityKind, profileId: string, detail: string): void {
    this.#deps.engine.record({ kind, profileId, detail });
  }

  #changed(profileId: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(profileId);
      } catch (error) {
        this.#logger.error('a token file listener failed', { kind: toTokentrayError(error).kind });
      }
    }
  }
}

function describeHook(hook: Hook): string {
  return hook.kind === 'command' ? (hook.argv[0] ?? 'hook') : `${hook.signal} to the pid in ${hook.pidFile}`;
}

/** A hook's output may echo what it read: the token never reaches the activity log. */
function redact(text: string, token: Token | null): string {
  if (token === null) return text;
  let out = text;
  for (const secret of [token.accessToken, authHeaderValue(token.headers)]) {
    if (secret.length >= 4) out = out.split(secret).join('[token]');
  }
  return out;
}
