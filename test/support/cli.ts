// Runs the `tokentray` CLI as a real child process, the way the integration tests need it: separate stdout/stderr, stdin fed and closed, exit code, and a record of
// everything printed so tests can search it for secrets.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, removeTempDir } from './temp-dir.js';

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
const apps = new Map<string, Promise<App | null>>();
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

interface App {
  child: ChildProcess;
  /** What serve wrote to stderr so far: with TOKENTRAY_TEST_HOOKS=1, a line per socket request. */
  stderr: () => string;
}

/**
 * Starts `tokentray serve` for the directory. A serve that cannot start fails the test loudly with
 * its own words, except for a vault it rightly cannot open without a passphrase (null: that test
 * is about the locked vault, and the CLI then answers by itself).
 */
function startApp(dir: string, env: NodeJS.ProcessEnv | undefined): Promise<App | null> {
  return new Promise((resolve, reject) => {
    const cli = cliCommand(['serve', '--port', '0', '--config-dir', dir]);
    const child = spawn(cli.command, cli.args, {
      cwd: ROOT,
      env: { ...process.env, TOKENTRAY_CONFIG_DIR: '', ...env, TOKENTRAY_TEST_HOOKS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.add(child);
    let out = '';
    let err = '';
    let ready = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!ready && out.includes('Press Ctrl+C to stop.')) {
        ready = true;
        resolve({ child, stderr: () => err });
      }
    });
    child.once('close', (code, signal) => {
      started.delete(child);
      if (ready) return;
      if (code === 5 && /passphrase|vault is locked|vault file/i.test(err + out)) resolve(null);
      else reject(new Error(`the with-app harness could not start tokentray serve for ${dir} (exit ${code ?? signal}):\n${out}${err}`));
    });
  });
}

/** The app serving the directory when the harness started one for this command, else null. */
async function ensureApp(args: readonly string[], env: NodeJS.ProcessEnv | undefined): Promise<App | null> {
  if (!WITH_APP || !TOKEN_COMMANDS.has(args[0] ?? '')) return null;
  const dir = configDirOf(args);
  if (dir === undefined) return null;
  const running = apps.get(dir);
  if (running !== undefined) {
    const app = await running;
    if (app === null || app.child.exitCode === null) return app;
  }
  if (!(await configIsSound(dir))) return null;
  const app = startApp(dir, env);
  apps.set(dir, app);
  return app;
}

const SOCKET_LINE = /^tokentray-test: socket /gm;
const socketLines = (app: App): number => app.stderr().match(SOCKET_LINE)?.length ?? 0;

/** A command that succeeded beside the app must have asked it over its socket (the trace arrives a moment after). */
async function assertCameThroughSocket(app: App, before: number, args: readonly string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (socketLines(app) <= before) {
    if (Date.now() > deadline || app.child.exitCode !== null) {
      throw new Error(`with the app running, \`tokentray ${args.slice(0, 2).join(' ')}\` succeeded without a request over the app's socket`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stopApps(): Promise<void> {
  const all = await Promise.all([...apps.values()]);
  apps.clear();
  await Promise.all(
    all.map(async (child) => {
      if (child === null || child.child.exitCode !== null) return;
      const closed = new Promise((resolve) => child.child.once('close', resolve));
      child.child.kill('SIGTERM');
      await closed;
    }),
  );
}

// Never leave a server behind, even when a test file ends without removing its directories.
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

export async function runCli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  const app = await ensureApp(args, options.env);
  const before = app === null ? 0 : socketLines(app);
  const result = await runCliProcess(args, options);
  if (app !== null && result.code === 0) await assertCameThroughSocket(app, before, args);
  return result;
}

function runCliProcess(args: string[], options: CliRunOptions): Promise<CliResult> {
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
  const dir = await makeTempDir('tokentray-cli-');
  dirs.push(dir);
  return dir;
}

export function tempConfigDirs(): readonly string[] {
  return dirs;
}

export async function removeTempConfigDirs(): Promise<void> {
  await stopApps();
  await Promise.all(dirs.splice(0).map((dir) => removeTempDir(dir)));
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
