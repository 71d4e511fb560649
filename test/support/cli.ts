// Runs the `tokentray` CLI as a real child process, the way the integration tests need it: separate stdout/stderr, stdin fed and closed, exit code, and a record of
// everything printed so tests can search it for secrets.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE_ENTRY = path.join(ROOT, 'main/node/cli/run.ts');
const BUILT_ENTRY = path.join(ROOT, 'bin/tokentray.js');

/**
 * The command line that starts the CLI: the package's real `bin` over the fresh build when `npm test`
 * has just built dist/ (TOKENTRAY_TEST_BUILT=1: several times faster to start, and it tests what users
 * run), else the TypeScript source through tsx, so a single test file runs without a build.
 */
export function cliCommand(args: readonly string[]): { command: string; args: string[] } {
  const built = process.env.TOKENTRAY_TEST_BUILT === '1';
  return { command: process.execPath, args: built ? [BUILT_ENTRY, ...args] : ['--import', 'tsx', SOURCE_ENTRY, ...args] };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  stdin?: string;
  env?: NodeJS.ProcessEnv;
}

export interface PrintedOutput {
  args: string[];
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Everything every CLI run in this process printed. */
export const printed: PrintedOutput[] = [];

/**
 * TOKENTRAY_TEST_WITH_APP=1 runs a CLI test file "with the app" (the *.with-app.test.ts
 * files): before a token command (token, headers, exec, status) for a config directory, a
 * `tokentray serve` is started for that directory with the same environment, once, and stays up
 * until the directories are removed; so the same assertions run against the running app over its
 * socket. A directory whose config file is broken gets none (serve would move the file aside first).
 */
export const WITH_APP = process.env.TOKENTRAY_TEST_WITH_APP === '1';
const TOKEN_COMMANDS = new Set(['token', 'headers', 'exec', 'status']);
const apps = new Map<string, Promise<ChildProcess | null>>();
const started = new Set<ChildProcess>();

function configDirOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length && args[i] !== '--'; i += 1) {
    const arg = args[i] as string;
    if (arg === '--config-dir') return args[i + 1];
    if (arg.startsWith('--config-dir=')) return arg.slice('--config-dir='.length);
  }
  return undefined;
}

async function configIsSound(dir: string): Promise<boolean> {
  const { checkStoredData } = await import('../../main/core/storage/config-store.js');
  try {
    return checkStoredData(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))).ok;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Starts `tokentray serve` for the directory; null when it does not come up (a locked or broken vault is the test's own business). */
function startApp(dir: string, env: NodeJS.ProcessEnv | undefined): Promise<ChildProcess | null> {
  return new Promise((resolve) => {
    const cli = cliCommand(['serve', '--port', '0', '--config-dir', dir]);
    const child = spawn(cli.command, cli.args, { cwd: ROOT, env: { ...process.env, TOKENTRAY_CONFIG_DIR: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('Press Ctrl+C to stop.')) resolve(child);
    });
    child.stderr.resume();
    child.once('close', () => {
      started.delete(child);
      resolve(null);
    });
  });
}

async function ensureApp(args: readonly string[], env: NodeJS.ProcessEnv | undefined): Promise<void> {
  if (!WITH_APP || !TOKEN_COMMANDS.has(args[0] ?? '')) return;
  const dir = configDirOf(args);
  if (dir === undefined) return;
  const running = apps.get(dir);
  if (running !== undefined && (await running)?.exitCode === null) return;
  if (!(await configIsSound(dir))) return;
  const app = startApp(dir, env);
  apps.set(dir, app);
  await app;
}

async function stopApps(): Promise<void> {
  const all = await Promise.all([...apps.values()]);
  apps.clear();
  await Promise.all(
    all.map(async (child) => {
      if (child === null || child.exitCode !== null) return;
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await closed;
    }),
  );
}

// Never leave a server behind, even when a test file ends without removing its directories.
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

export async function runCli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  await ensureApp(args, options.env);
  return new Promise((resolve, reject) => {
    const cli = cliCommand(args);
    const child = spawn(cli.command, cli.args, {
      cwd: ROOT,
      // An inherited TOKENTRAY_CONFIG_DIR must never point a test at a real config.
      env: { ...process.env, TOKENTRAY_CONFIG_DIR: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    const started = Date.now();
    child.once('close', (code, signal) => {
      if (process.env.CLI_TEST_DEBUG) process.stderr.write(`# ${args.slice(0, 3).join(' ')} -> ${code ?? signal} in ${Date.now() - started} ms\n${code === null ? stderr : ''}`);
      printed.push({ args, stream: 'stdout', text: stdout }, { args, stream: 'stderr', text: stderr });
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the CLI may exit before reading stdin
    child.stdin.end(options.stdin ?? '');
  });
}

const dirs: string[] = [];

export async function tempConfigDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tokentray-cli-'));
  dirs.push(dir);
  return dir;
}

export function tempConfigDirs(): readonly string[] {
  return dirs;
}

export async function removeTempConfigDirs(): Promise<void> {
  await stopApps();
  await Promise.all(dirs.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
}

/** At most `limit` at once: the machine has 2 cores and other tests run beside these. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}
