// `tokentray serve` and `tokentray dashboard`. PLACEHOLDER: the loopback-API work replaces these
// bodies; the signatures are the contract the CLI codes against.
import type { Writable } from 'node:stream';

export interface ServeOptions {
  configDir: string;
  port?: number;
  stdout: Writable;
  stderr: Writable;
}

/** Runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function runServe(options: ServeOptions): Promise<number> {
  options.stderr.write('tokentray serve: not available in this build\n');
  return 1;
}

/** Prints a fresh one-time login link for the running headless server; resolves with the exit code. */
export async function printDashboardLink(options: { configDir: string; stdout: Writable; stderr: Writable }): Promise<number> {
  options.stderr.write('tokentray dashboard: not available in this build\n');
  return 1;
}
