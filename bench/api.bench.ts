// npm run bench api: GET /v1/profiles/{id}/token with a valid cached token through the whole loopback
// API (source checks, key hashing, engine, activity record), side by side in the same run with a bare
// node:http server answering the same bytes. autocannon runs as a child process so the load generator
// does not share the servers' event loop. Reports the ratio; the goal is >= 0.8.
// This VM's speed drifts by a third within a minute (steal time), so each point is BENCH_PAIRS pairs
// of short back-to-back runs (API then bare, then bare then API, ...), a ratio per pair, and the
// median of those ratios: both sides of a pair see the same machine.
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import type * as AppCore from '../main/core/app-core.js';
import { MemoryStore } from '../test/support/memory-store.js';
import { MemoryVault } from '../test/support/memory-vault.js';
import { startProviderServer } from '../test/support/servers/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The API as shipped: the tsc build in dist/ (npm run bench builds first), not the TypeScript source
 * through tsx, whose per-closure `__name` helpers cost microseconds per request that users never pay.
 */
export async function loadShippedCore(): Promise<typeof AppCore> {
  const built = join(ROOT, 'dist/main/core/app-core.js');
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` (npm run bench does) first.');
  return (await import(pathToFileURL(built).href)) as typeof AppCore;
}
const AUTOCANNON = join(ROOT, 'node_modules/autocannon/autocannon.js');
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 2);
const PAIRS = Math.max(1, Number(process.env.BENCH_PAIRS ?? 11));
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,10,50').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
/** Added by node:http to every answer, so not copied from the API's answer. */
const PER_ANSWER_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

export interface Measured {
  rps: number;
  /** CPU time of this process (where both servers run, idle but for the one under load) per request, in µs. */
  cpuPerRequestUs: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** A request other than a plain GET (the relay's POST with its form body). */
export interface LoadRequest {
  method: string;
  body: string;
}

export function autocannon(url: string, connections: number, headers: Record<string, string>, request?: LoadRequest): Promise<Measured> {
  const args = [AUTOCANNON, '-j', '-c', String(connections), '-d', String(DURATION_S)];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  if (request !== undefined) args.push('-m', request.method, '-b', request.body);
  args.push(url);
  return new Promise((done, fail) => {
    const cpuBefore = process.cpuUsage();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`autocannon exited with ${code}`));
      const cpu = process.cpuUsage(cpuBefore);
      const result = JSON.parse(out) as {
        requests: { average: number; total: number };
        latency: { p50: number; p99: number };
        errors: number;
        non2xx: number;
      };
      done({
        rps: result.requests.average,
        cpuPerRequestUs: (cpu.user + cpu.system) / Math.max(1, result.requests.total),
        p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx,
      });
    });
  });
}

/** One request with the header lines as answered (names in their own case), unlike fetch. */
export function rawRequest(url: string, headers: Record<string, string>, request?: LoadRequest): Promise<{ rawHeaders: string[]; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = httpRequest(url, { headers, method: request?.method ?? 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) fail(new Error(`the API answered ${res.statusCode}`));
        else done({ rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) });
      });
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(request?.body);
  });
}

/**
 * A bare node:http server answering exactly these bytes: the same body and header lines as the
 * sample (node:http adds Date and Connection/Keep-Alive to both). Resolves with its base URL.
 */
export async function startBareServer(sample: { rawHeaders: string[]; body: Buffer }): Promise<{ url: string; close(): Promise<void> }> {
  const bareHeaders: string[] = [];
  for (let i = 0; i + 1 < sample.rawHeaders.length; i += 2) {
    const name = sample.rawHeaders[i] as string;
    if (!PER_ANSWER_HEADERS.has(name.toLowerCase())) bareHeaders.push(name, sample.rawHeaders[i + 1] as string);
  }
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, bareHeaders);
    res.end(sample.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The run with the median req/s (its latencies belong to that run). */
export function medianRun(runs: Measured[]): Measured {
  const rps = median(runs.map((r) => r.rps));
  return runs.reduce((best, r) => (Math.abs(r.rps - rps) < Math.abs(best.rps - rps) ? r : best));
}

interface Pair {
  api: Measured;
  bare: Measured;
}

/** One API run and one bare run back to back, in the given order. */
async function measurePair(apiFirst: boolean, run: (side: 'api' | 'bare') => Promise<Measured>): Promise<Pair> {
  if (apiFirst) {
    const api = await run('api');
    return { api, bare: await run('bare') };
  }
  const bare = await run('bare');
  return { api: await run('api'), bare };
}

export async function run(): Promise<void> {
  const provider = await startProviderServer('redpanda', { lifetimeSec: 86_400 });
  const store = new MemoryStore();
  const vault = new MemoryVault();
  const { createCore } = await loadShippedCore();
  const core = await createCore({ store, vault, version: 'bench' });
  const port = await core.start(0);
  await core.engine.upsertProfile(provider.profile({ id: 'bench' }), provider.secrets());
  const { key } = await core.rpc['clients:add']({ name: 'bench', profiles: null });
  const headers = { Authorization: `Bearer ${key}` };
  const apiUrl = `http://127.0.0.1:${port}/v1/profiles/bench/token`;

  // The exact bytes the API answers, for the bare server.
  const bare = await startBareServer(await rawRequest(apiUrl, headers));
  const bareUrl = `${bare.url}/v1/profiles/bench/token`;
  const upstreamBefore = provider.tokenRequestCount();

  try {
    // Warm both up (JIT, sockets) before measuring.
    await autocannon(apiUrl, 10, headers);
    await autocannon(bareUrl, 10, headers);
    console.log(`GET /v1/profiles/{id}/token, valid cached token: ${PAIRS} pairs of ${DURATION_S} s runs per line (autocannon)`);
    console.log('connections | api req/s | api p50/p99 ms | bare req/s | bare p50/p99 ms | ratio (median of pairs, range)');
    for (const connections of CONNECTIONS) {
      const pairs: Pair[] = [];
      for (let i = 0; i < PAIRS; i += 1) {
        pairs.push(await measurePair(i % 2 === 0, (side) => autocannon(side === 'api' ? apiUrl : bareUrl, connections, headers)));
      }
      const api = medianRun(pairs.map((p) => p.api));
      const plain = medianRun(pairs.map((p) => p.bare));
      const errors = pairs.reduce((n, p) => n + p.api.errors, 0);
      const non2xx = pairs.reduce((n, p) => n + p.api.non2xx, 0);
      if (errors > 0 || non2xx > 0) console.log(`  (api: ${errors} errors, ${non2xx} non-2xx answers)`);
      const ratios = pairs.map((p) => p.api.rps / p.bare.rps);
      const ratio = median(ratios);
      // The servers' own cost, less swayed by how busy the load generator's core is: bare / API.
      const cpuRatio = median(pairs.map((p) => p.bare.cpuPerRequestUs / p.api.cpuPerRequestUs));
      console.log(
        `${String(connections).padStart(11)} | ${api.rps.toFixed(0).padStart(9)} | ${`${api.p50}/${api.p99}`.padStart(13)} | ` +
          `${plain.rps.toFixed(0).padStart(10)} | ${`${plain.p50}/${plain.p99}`.padStart(15)} | ` +
          `${ratio.toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})${ratio >= 0.8 ? '' : '  (below the 0.8 goal)'}`,
      );
      console.log(
        `            CPU per request: api ${median(pairs.map((p) => p.api.cpuPerRequestUs)).toFixed(1)} µs, ` +
          `bare ${median(pairs.map((p) => p.bare.cpuPerRequestUs)).toFixed(1)} µs; bare/api ${cpuRatio.toFixed(2)} (median of pairs)`,
      );
      if (process.env.BENCH_VERBOSE !== undefined) {
        for (const p of pairs) console.log(`            api ${p.api.rps.toFixed(0)} req/s, bare ${p.bare.rps.toFixed(0)} req/s: ${(p.api.rps / p.bare.rps).toFixed(2)}`);
      }
    }
    console.log(`upstream token requests during the benchmark: ${provider.tokenRequestCount() - upstreamBefore}`);
  } finally {
    await core.stop();
    await bare.close();
    await provider.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
