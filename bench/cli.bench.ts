// The CLI benchmark: `tokentray token|headers|status` as whole processes, the way scripts
// call them, with `tokentray serve` running (the CLI talks to it) and without (the engine in-process
// with the keychain token cache), each paired with `node -e 0` in the same run. Reports the median
// wall time, its ratio to `node -e 0`, and peak RSS (GNU time's %M, the child's maximum resident set).
// The keychain is gnome-keyring on a private D-Bus session started here, as in the vault benchmark.
// BENCH_CLI_RUNS pairs per command (default 10); BENCH_CLI_ROOT runs another build (a checkout with
// bin/ and dist/, e.g. main before a change) against the same setup.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startProviderServer } from '../test/support/servers/index.js';
import { rerunUnderPrivateKeyring } from './private-keyring.js';

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 10);
const ROOT = process.env.BENCH_CLI_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'tokentray.js');
const TIME = '/usr/bin/time';

interface Run {
  wallMs: number;
  rssKb: number;
  code: number;
  stdout: string;
  stderr: string;
}

function runOnce(args: readonly string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    // GNU time writes the figure as the last stderr line: the child's own stderr stays above it.
    const child = spawn(TIME, ['-f', 'tokentray-bench-rss %M', process.execPath, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    const t0 = performance.now();
    child.once('close', (code) => {
      const wallMs = performance.now() - t0;
      const match = /tokentray-bench-rss (\d+)\s*$/.exec(stderr);
      resolve({ wallMs, rssKb: match ? Number(match[1]) : NaN, code: code ?? -1, stdout, stderr: match ? stderr.slice(0, match.index) : stderr });
    });
    child.stdin.end(stdin);
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

interface Row {
  label: string;
  wall: number;
  baseWall: number;
  rss: number;
  rssMax: number;
  baseRss: number;
}

/** RUNS pairs of (`node -e 0`, the command), the order alternating so neither always runs second. */
async function measure(label: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Row> {
  const base: Run[] = [];
  const cmd: Run[] = [];
  const check = (run: Run): Run => {
    if (run.code !== 0) throw new Error(`${label} exited ${run.code}: ${run.stderr}`);
    return run;
  };
  for (let i = 0; i < RUNS; i += 1) {
    if (i % 2 === 0) {
      base.push(check(await runOnce(['-e', '0'], env)));
      cmd.push(check(await runOnce([BIN, ...args], env)));
    } else {
      cmd.push(check(await runOnce([BIN, ...args], env)));
      base.push(check(await runOnce(['-e', '0'], env)));
    }
  }
  return {
    label,
    wall: median(cmd.map((r) => r.wallMs)),
    baseWall: median(base.map((r) => r.wallMs)),
    rss: median(cmd.map((r) => r.rssKb)),
    rssMax: Math.max(...cmd.map((r) => r.rssKb)),
    baseRss: median(base.map((r) => r.rssKb)),
  };
}

function print(rows: readonly Row[]): void {
  const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
  console.log(`${'command'.padEnd(40)} ${'median wall'.padStart(11)} ${'node -e 0'.padStart(10)} ${'ratio'.padStart(7)} ${'peak RSS (median/max)'.padStart(22)} ${'node -e 0 RSS'.padStart(14)}`);
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(40)} ${`${r.wall.toFixed(0)} ms`.padStart(11)} ${`${r.baseWall.toFixed(0)} ms`.padStart(10)} ${`${(r.wall / r.baseWall).toFixed(2)}x`.padStart(7)} ${`${mb(r.rss)} / ${mb(r.rssMax)}`.padStart(22)} ${mb(r.baseRss).padStart(14)}`,
    );
  }
}

/** Starts `tokentray serve` for the directory and resolves once it says where it serves. */
function startServe(configDir: string, env: NodeJS.ProcessEnv): Promise<{ stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--config-dir', configDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (/Press Ctrl\+C to stop/.test(output)) {
        resolve({
          stop: () =>
            new Promise<void>((done) => {
              child.once('close', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('close', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
  });
}

export async function run(): Promise<void> {
  if (rerunUnderPrivateKeyring(new URL('./cli.bench.ts', import.meta.url).href, 'CLI')) return;
  if (!existsSync(BIN) || !existsSync(path.join(ROOT, 'dist', 'main', 'node', 'cli', 'main.js'))) throw new Error(`no built CLI at ${ROOT} (npm run build)`);
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed for the peak RSS figures`);

  const configDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tokentray-bench-cli-'));
  const provider = await startProviderServer('redpanda');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOKENTRAY_CONFIG_DIR: '',
    TOKENTRAY_KEYCHAIN_SERVICE: `tokentray-bench-cli-${process.pid}`,
    TOKENTRAY_VAULT: 'keychain',
  };
  const cli = (args: readonly string[]): string[] => [...args, '--config-dir', configDir];
  let serve: { stop: () => Promise<void> } | null = null;
  try {
    const profile = provider.profile({ id: 'b' });
    const added = await runOnce(
      [BIN, ...cli(['profile', 'add', 'b', '--provider', 'redpanda', '--client-id', String(profile.clientId), '--token-url', String(profile.tokenUrl), '--secret-stdin'])],
      env,
      provider.credentials.clientSecret,
    );
    if (added.code !== 0) throw new Error(`profile add failed: ${added.stderr}`);
    console.log(`${RUNS} pairs per command, CLI at ${ROOT}, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(2)}`);

    // Without the app: the engine in-process, the token from the keychain cache after the first run.
    await runOnce([BIN, ...cli(['token', 'b'])], env);
    const rows: Row[] = [];
    rows.push(await measure('token b (no app)', cli(['token', 'b']), env));
    rows.push(await measure('headers b (no app)', cli(['headers', 'b']), env));
    rows.push(await measure('status (no app)', cli(['status']), env));

    serve = await startServe(configDir, env);
    await runOnce([BIN, ...cli(['token', 'b'])], env);
    rows.push(await measure('token b (tokentray serve running)', cli(['token', 'b']), env));
    rows.push(await measure('headers b (tokentray serve running)', cli(['headers', 'b']), env));
    rows.push(await measure('status (tokentray serve running)', cli(['status']), env));
    print(rows);
    console.log(`upstream token requests: ${provider.tokenRequestCount()}`);
  } finally {
    await serve?.stop();
    await runOnce([BIN, ...cli(['profile', 'rm', 'b'])], env);
    await provider.close();
    await fs.rm(configDir, { recursive: true, force: true });
  }
}
