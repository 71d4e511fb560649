// The token file benchmark (SPEC section 7): rewriting 100 sinks after a refresh (render each format,
// then the hardened writer: folder checks, O_EXCL temp file, fsync, rename, folder fsync) against
// fs.writeFile of the same bytes, and the pass after an unchanged refresh, which compares and skips.
// Ratios to the baseline measured in the same run; no pass/fail.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SINK_FORMATS, type ProfileConfig } from '../common/contract.js';
import { renderSink } from '../main/core/sinks/render.js';
import type { Token } from '../main/core/types.js';
import { writeSinkFile } from '../main/node/sink-writer.js';

const SINKS = Number(process.env.BENCH_SINKS ?? 100);
const ROUNDS = Number(process.env.BENCH_RUNS ?? 7);
const profile: ProfileConfig = { id: 'bench', name: 'Bench', provider: 'oauth2', clientId: 'client', tokenUrl: 'https://idp.example/token', apiUrl: 'https://api.example' };

function token(round: number): Token {
  const jwt = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'client', round, exp: 1_900_000_000 })).toString('base64url')}.${'s'.repeat(342)}`;
  return { accessToken: jwt, tokenType: 'Bearer', headers: { Authorization: `Bearer ${jwt}` }, obtainedAt: Date.now(), expiresAt: Date.now() + 300_000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function run(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tokentray-bench-sinks-'));
  const sinksDir = path.join(root, 'sinks');
  const plainDir = path.join(root, 'plain');
  await fs.mkdir(sinksDir, { mode: 0o700 });
  await fs.mkdir(plainDir, { mode: 0o700 });
  const formats = SINK_FORMATS.filter((f) => f !== 'template');
  const sinks = Array.from({ length: SINKS }, (_, i) => ({ format: formats[i % formats.length]!, name: `s${i}` }));
  const rewrite: number[] = [];
  const plain: number[] = [];
  const unchanged: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      const t = token(round);
      const now = Date.now();
      const contents = sinks.map((s) => {
        const rendered = renderSink(s, profile, t, now);
        if (!rendered.ok) throw new Error(rendered.reason);
        return rendered.content;
      });
      // Alternate which goes first, so neither always meets a cold or warm page cache.
      const sinkPass = async (): Promise<number> => {
        const t0 = performance.now();
        for (const s of sinks) {
          const rendered = renderSink(s, profile, t, now);
          if (!rendered.ok) throw new Error(rendered.reason);
          await writeSinkFile(path.join(sinksDir, s.name), rendered.content, 0o600);
        }
        return performance.now() - t0;
      };
      const plainPass = async (): Promise<number> => {
        const t0 = performance.now();
        for (const [i, s] of sinks.entries()) await fs.writeFile(path.join(plainDir, s.name), contents[i]!, { mode: 0o600 });
        return performance.now() - t0;
      };
      if (round % 2 === 0) {
        rewrite.push(await sinkPass());
        plain.push(await plainPass());
      } else {
        plain.push(await plainPass());
        rewrite.push(await sinkPass());
      }
      unchanged.push(await sinkPass());
    }
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
  const r = median(rewrite);
  const p = median(plain);
  const u = median(unchanged);
  console.log(`${SINKS} sinks after a refresh (median of ${ROUNDS}): hardened ${r.toFixed(1)} ms, fs.writeFile ${p.toFixed(1)} ms, ratio ${(r / p).toFixed(2)}x`);
  console.log(`${SINKS} sinks after an unchanged refresh (compare and skip): ${u.toFixed(1)} ms, ratio to fs.writeFile ${(u / p).toFixed(2)}x`);
}
