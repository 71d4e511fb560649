// npm run bench relay: the token relay, POST /v1/profiles/{id}/oauth/token with a
// client-credentials form and HTTP Basic client authentication (what simple-oauth2 and Postman send),
// beside the plain GET /v1/profiles/{id}/token and a bare node:http server answering the relay's
// bytes, all in the same run, with a valid cached token (the relay's whole point: no upstream
// request). The load tooling is the API benchmark's (autocannon in a child process, rounds of short
// back-to-back runs in rotating order, median of per-round ratios), since this VM's speed drifts.
import { fileURLToPath } from 'node:url';
import { MemoryStore } from '../test/support/memory-store.js';
import { MemoryVault } from '../test/support/memory-vault.js';
import { startProviderServer } from '../test/support/servers/index.js';
import { autocannon, loadShippedCore, median, medianRun, rawRequest, startBareServer, type LoadRequest, type Measured } from './api.bench.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 2);
const ROUNDS = Math.max(1, Number(process.env.BENCH_PAIRS ?? 9));
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,10,50').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);

type Side = 'relay' | 'token' | 'bare';
const SIDES: readonly Side[] = ['relay', 'token', 'bare'];

export async function run(): Promise<void> {
  const provider = await startProviderServer('redpanda', { lifetimeSec: 86_400 });
  const { createCore } = await loadShippedCore();
  const core = await createCore({ store: new MemoryStore(), vault: new MemoryVault(), version: 'bench' });
  const port = await core.start(0);
  await core.engine.upsertProfile(provider.profile({ id: 'bench' }), provider.secrets());
  const { key } = await core.rpc['clients:add']({ name: 'bench', profiles: ['bench'] });
  const base = `http://127.0.0.1:${port}/v1/profiles/bench`;

  const relayHeaders = {
    Authorization: `Basic ${Buffer.from(`bench:${key}`).toString('base64')}`,
    'Content-Type': 'application/x-www-form-urlencoded',
  };
  const relayRequest: LoadRequest = { method: 'POST', body: 'grant_type=client_credentials' };
  const tokenHeaders = { Authorization: `Bearer ${key}` };
  const bare = await startBareServer(await rawRequest(`${base}/oauth/token`, relayHeaders, relayRequest));
  const targets: Record<Side, { url: string; headers: Record<string, string>; request?: LoadRequest }> = {
    relay: { url: `${base}/oauth/token`, headers: relayHeaders, request: relayRequest },
    token: { url: `${base}/token`, headers: tokenHeaders },
    bare: { url: `${bare.url}/v1/profiles/bench/oauth/token`, headers: relayHeaders, request: relayRequest },
  };
  const load = (side: Side, connections: number): Promise<Measured> => {
    const target = targets[side];
    return autocannon(target.url, connections, target.headers, target.request);
  };
  const upstreamBefore = provider.tokenRequestCount();

  try {
    for (const side of SIDES) await load(side, 10); // JIT and sockets warm before measuring
    console.log(`POST /v1/profiles/{id}/oauth/token (Basic, form), valid cached token: ${ROUNDS} rounds of ${DURATION_S} s runs per line, each round relay, token and bare back to back in rotating order (autocannon)`);
    console.log('connections | relay req/s | relay p50/p99 ms | token req/s | bare req/s | relay/bare | relay/token | token/bare (median of rounds, range)');
    for (const connections of CONNECTIONS) {
      const rounds: Record<Side, Measured>[] = [];
      for (let i = 0; i < ROUNDS; i += 1) {
        const round = {} as Record<Side, Measured>;
        for (let j = 0; j < SIDES.length; j += 1) {
          const side = SIDES[(i + j) % SIDES.length] as Side;
          round[side] = await load(side, connections);
        }
        rounds.push(round);
      }
      const ratio = (a: Side, b: Side): string => {
        const values = rounds.map((r) => r[a].rps / r[b].rps);
        return `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)})`;
      };
      const relay = medianRun(rounds.map((r) => r.relay));
      const failures = rounds.reduce((n, r) => n + r.relay.errors + r.relay.non2xx + r.token.errors + r.token.non2xx, 0);
      if (failures > 0) console.log(`  (${failures} errors or non-2xx answers from the relay or /token)`);
      console.log(
        `${String(connections).padStart(11)} | ${relay.rps.toFixed(0).padStart(11)} | ${`${relay.p50}/${relay.p99}`.padStart(16)} | ` +
          `${medianRun(rounds.map((r) => r.token)).rps.toFixed(0).padStart(11)} | ${medianRun(rounds.map((r) => r.bare)).rps.toFixed(0).padStart(10)} | ` +
          `${ratio('relay', 'bare')} | ${ratio('relay', 'token')} | ${ratio('token', 'bare')}`,
      );
      console.log(
        `            CPU per request (µs, median of rounds): relay ${median(rounds.map((r) => r.relay.cpuPerRequestUs)).toFixed(1)}, ` +
          `token ${median(rounds.map((r) => r.token.cpuPerRequestUs)).toFixed(1)}, bare ${median(rounds.map((r) => r.bare.cpuPerRequestUs)).toFixed(1)}`,
      );
    }
    console.log(`upstream token requests during the benchmark: ${provider.tokenRequestCount() - upstreamBefore}`);
  } finally {
    await core.stop();
    await bare.close();
    await provider.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
