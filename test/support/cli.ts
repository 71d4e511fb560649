// Runs the `tokentray` CLI as a real child process, the way the integration tests need it: separate stdout/stderr, stdin fed and closed, exit code, and a record of
// everything printed so tests can search it for secrets.
import { spawn } from 'node:child_process';
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

export function runCli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
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
    child.once('close', (code) => {
      if (process.env.CLI_TEST_DEBUG) process.stderr.write(`# ${args.slice(0, 3).join(' ')} -> ${code} in ${Date.now() - started} ms\n`);
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
