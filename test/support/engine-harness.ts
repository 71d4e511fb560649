// Builds a TokenEngine wired to a fake clock, an in-memory vault and store, the real providers and
// an in-process token endpoint that answers like Acquia (seed 002). Shared by the engine tests and
// the benchmark.
import type { EngineEvent, ProfileConfig } from '../../common/contract.js';
import type { HistoryStore } from '../../main/core/engine/history.js';
import { BackgroundScheduler, ON_DEMAND } from '../../main/core/engine/scheduler.js';
import { TokenEngine, type TokenEngineOptions } from '../../main/core/engine/token-engine.js';
import { createProviderRegistry } from '../../main/core/providers/index.js';
import type { Logger } from '../../main/core/types.js';
import { FakeClock } from './fake-clock.js';
import { FakeTokenEndpoint, type FakeEndpointOptions } from './fake-token-endpoint.js';
import { MemoryStore } from './memory-store.js';
import { MemoryVault } from './memory-vault.js';

/** A small deterministic PRNG (mulberry32), so jitter and backoff are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function acquiaProfile(id: string, extra: Partial<ProfileConfig> = {}): ProfileConfig {
  return {
    id,
    name: `Acquia ${id}`,
    provider: 'acquia',
    clientId: `key-${id}`,
    tokenUrl: 'https://accounts.example.test/api/auth/oauth/token',
    ...extra,
  };
}

export interface HarnessOptions {
  profiles?: ProfileConfig[];
  /** Store a client secret for every profile (default true). */
  secrets?: boolean;
  /** Plug in the background scheduler (default true); false is the one-shot CLI's composition. */
  background?: boolean;
  seed?: number;
  random?: () => number;
  endpoint?: FakeEndpointOptions;
  options?: Partial<TokenEngineOptions>;
  /** Where the activity log and request counts are kept (default: memory only). */
  history?: HistoryStore;
  /** Another harness's clock, to go on where it stopped (a restart). */
  clock?: FakeClock;
  logger?: Logger;
  /** Keep every event the engine emits in `events` (default true; the benchmark counts its own). */
  recordEvents?: boolean;
}

export interface Harness {
  clock: FakeClock;
  endpoint: FakeTokenEndpoint;
  store: MemoryStore;
  vault: MemoryVault;
  engine: TokenEngine;
  events: EngineEvent[];
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new FakeClock();
  const endpoint = new FakeTokenEndpoint(clock, options.endpoint);
  const profiles = options.profiles ?? [acquiaProfile('aq')];
  const store = new MemoryStore(profiles);
  const vault = new MemoryVault();
  if (options.secrets ?? true) {
    // A secret with the characters Acquia warns about (seed 002); fake, of course.
    for (const profile of profiles) await vault.setSecret(profile.id, 'clientSecret', 'not a real secret &+%/');
  }
  const engine = new TokenEngine({
    store,
    vault,
    providers: createProviderRegistry(),
    clock,
    fetch: endpoint.fetch,
    random: options.random ?? seededRandom(options.seed ?? 1),
    scheduler: (options.background ?? true) ? new BackgroundScheduler({ clock }) : ON_DEMAND,
    options: options.options ?? {},
    ...(options.history === undefined ? {} : { history: options.history }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const events: EngineEvent[] = [];
  if (options.recordEvents ?? true) engine.onDidEmit((event) => events.push(event));
  return { clock, endpoint, store, vault, engine, events };
}
