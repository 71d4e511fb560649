// One replica of the fleet benchmark (bench/fleet.bench.ts), as its own process: a TokenEngine with
// background refreshes for every profile, a real Redis connection, and demands at a steady rate.
// It loads, connects and builds its engine, says "ready", then waits for "go <endAt>" on stdin (the
// barrier: no replica starts before every one is loaded), runs until the common end time (epoch ms,
// so a replica the machine starved starts late but does not run late), then prints one JSON line.
import { createInterface } from 'node:readline';
import type { ProfileConfig } from '../common/contract.js';
import { systemClock } from '../main/core/clock.js';
import { BackgroundScheduler } from '../main/core/engine/scheduler.js';
import { TokenEngine } from '../main/core/engine/token-engine.js';
import { parseFleetKey } from '../main/core/fleet/record-crypto.js';
import { createProviderRegistry } from '../main/core/providers/index.js';
import { RedisSharedCache } from '../main/node/shared-cache/redis-cache.js';
import { MemoryStore } from '../test/support/memory-store.js';
import { MemoryVault } from '../test/support/memory-vault.js';

export interface ReplicaReport {
  demands: number;
  local: number;
  viaEngine: number;
  expired: number;
  failed: number;
  slowestMs: number;
  localMs: number[];
  /** A cold engine's first demand per profile: a Redis read, decrypt and adopt. */
  redisMs: number[];
  /** How the background engine's refreshes ended (FleetTally) and the Redis connection's failures. */
  tally: Record<string, number>;
  /** The same for the cold engine after the window. */
  coldTally: Record<string, number>;
  redis: Record<string, number>;
  /** How long after "go" was written this replica started its engine (a starved machine's lag). */
  startLagMs: number;
}

const tokenUrl = process.env.BENCH_TOKEN_URL as string;
const redisUrl = process.env.BENCH_REDIS_URL as string;
const profilesCount = Number(process.env.BENCH_PROFILES);
const runMs = Number(process.env.BENCH_RUN_MS);
const keys = { current: parseFleetKey(process.env.BENCH_FLEET_KEY as string, 'bench'), previous: null };

function profiles(): ProfileConfig[] {
  return Array.from({ length: profilesCount }, (_, i) => ({ id: `p${i}`, name: `p${i}`, provider: 'oauth2', tokenUrl, clientId: `client-${i}`, timeoutMs: 2_000 }) as ProfileConfig);
}

async function engineWith(cache: RedisSharedCache, background: boolean): Promise<TokenEngine> {
  const vault = new MemoryVault();
  for (const p of profiles()) await vault.setSecret(p.id, 'clientSecret', 'bench-secret');
  const engine = new TokenEngine({
    store: new MemoryStore(profiles()),
    vault,
    providers: createProviderRegistry(),
    clock: systemClock,
    fetch: (input, init) => fetch(input, init),
    sharedCache: cache,
    ...(background ? { scheduler: new BackgroundScheduler({ clock: systemClock }) } : {}),
    options: { waitMs: 10_000 },
  });
  await engine.start();
  return engine;
}

async function main(): Promise<void> {
  const cache = new RedisSharedCache({ url: redisUrl, location: redisUrl, keys });
  await cache.connect(3_000);
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  const go = await new Promise<string>((resolve) => lines.once('line', resolve));
  // stdin stays open otherwise, and with it the process.
  lines.close();
  process.stdin.destroy();
  const [, sentAt, endAt] = go.split(' ').map(Number);
  const startLagMs = Date.now() - (sentAt ?? Date.now());
  const engine = await engineWith(cache, true);
  const report: ReplicaReport = { demands: 0, local: 0, viaEngine: 0, expired: 0, failed: 0, slowestMs: 0, localMs: [], redisMs: [], tally: {}, coldTally: {}, redis: {}, startLagMs };
  const end = endAt ?? Date.now() + runMs;
  while (Date.now() < end) {
    for (let k = 0; k < 10; k += 1) {
      const id = `p${Math.floor(Math.random() * profilesCount)}`;
      const t0 = performance.now();
      let token = engine.peekToken(id);
      if (token !== null) {
        report.local += 1;
        report.localMs.push(performance.now() - t0);
      } else {
        report.viaEngine += 1;
        try {
          token = await engine.getToken(id);
        } catch {
          report.failed += 1;
        }
      }
      const took = performance.now() - t0;
      report.slowestMs = Math.max(report.slowestMs, took);
      report.demands += 1;
      if (token !== null && (token.expiresAt === null || token.expiresAt <= Date.now())) report.expired += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // A cold engine (a CLI run, a new replica) finds every token in Redis: what such a demand costs.
  if (cache.health().state === 'connected') {
    // Reported once the window is over, so the bench can tell these requests from the window's.
    process.stdout.write('window over\n');
    const cold = await engineWith(cache, false);
    for (let i = 0; i < profilesCount; i += 1) {
      const t0 = performance.now();
      try {
        const token = await cold.getToken(`p${i}`);
        report.redisMs.push(performance.now() - t0);
        if (token.expiresAt === null || token.expiresAt <= Date.now()) report.expired += 1;
      } catch {
        report.failed += 1;
      }
    }
    report.coldTally = { ...cold.sharedFleet!.tally };
    await cold.stop();
  } else process.stdout.write('window over\n');
  report.tally = { ...engine.sharedFleet!.tally };
  report.redis = { ...cache.stats };
  await engine.stop();
  await cache.close();
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}

await main();
