// npm run bench api: GET /v1/profiles/{id}/token with a valid cached token through the whole loopback
// API (source checks, key hashing, engine, activity record), side by side in the same run with a bare
// node:http server answering the same bytes. autocannon runs as a child process so the load generator
// does not share the servers' event loop. Reports the ratio; the goal is >= 0.8 (issue 5).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../main/core/app-core.js';
import { MemoryStore } from '../test/support/memory-store.js';
import { MemoryVault } from '../test/support/memory-vault.js';
import { startProviderServer } from '../test/support/servers/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const AUTOCANNON = join(ROOT, 'node_modules/autocannon/autocannon.js');
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

function autocannon(url: string, connections: number, headers: Record<string, string>): Promise<Measured> {
  const args = [AUTOCANNON, '-j', '-c', String(connections), '-d', String(DURATION_S)];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  args.push(url);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`autocannon exited with ${code}`));
      const result = JSON.parse(out) as {
        requests: { average: number };
        latency: { p50: number; p99: number };
        errors: number;
        non2xx: number;
      };
      done({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx });
    });
  });
}

export async function run(): Promise<void> {
  const provider = await startProviderServer('redpanda', { lifetimeSec: 86_400 });
  const store = new MemoryStore();
  const vault = new MemoryVault();
  const core = await createCore({ store, vault, version: 'bench' });
  const port = await core.start(0);
  await core.engine.upsertProfile(provider.profile({ id: 'bench' }), provider.secrets());
  const { key } = await core.rpc['clients:add']({ name: 'bench', profiles: null });
  const headers = { Authorization: `Bearer ${key}` };
  const apiUrl = `http://127.0.0.1:${port}/v1/profiles/bench/token`;

  // The exact bytes the API answers, for the bare server.
  const sample = await fetch(apiUrl, { headers });
  const body = Buffer.from(await sample.arrayBuffer());
  const bare = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
    res.end(body);
  });
  await new Promise<void>((done) => bare.listen(0, '127.0.0.1', done));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/v1/profiles/bench/token`;
  const upstreamBefore = provider.tokenRequestCount();

  try {
    // Warm both up (JIT, sockets) before measuring.
    await autocannon(apiUrl, 10, headers);
    await autocannon(bareUrl, 10, headers);
    console.log(`GET /v1/profiles/{id}/token, valid cached token, ${DURATION_S} s per run (autocannon)`);
    console.log('connections | api req/s | api p50/p99 ms | bare req/s | bare p50/p99 ms | ratio');
    for (const connections of [1, 10, 50]) {
      const api = await autocannon(apiUrl, connections, headers);
      const plain = await autocannon(bareUrl, connections, headers);
      if (api.errors > 0 || api.non2xx > 0) console.log(`  (api: ${api.errors} errors, ${api.non2xx} non-2xx answers)`);
      const ratio = api.rps / plain.rps;
      console.log(
        `${String(connections).padStart(11)} | ${api.rps.toFixed(0).padStart(9)} | ${`${api.p50}/${api.p99}`.padStart(13)} | ` +
          `${plain.rps.toFixed(0).padStart(10)} | ${`${plain.p50}/${plain.p99}`.padStart(15)} | ${ratio.toFixed(2)}${ratio >= 0.8 ? '' : '  (below the 0.8 goal)'}`,
      );
    }
    console.log(`upstream token requests during the benchmark: ${provider.tokenRequestCount() - upstreamBefore}`);
  } finally {
    await core.stop();
    bare.closeAllConnections();
    await new Promise<void>((done) => bare.close(() => done()));
    await provider.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
