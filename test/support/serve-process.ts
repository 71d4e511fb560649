// `tokentray serve` as a real child process on a free port (--port 0) with a temp config directory,
// for the tests that need the whole product running (serve.test.ts, relay-clients.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cliCommand, ROOT } from './cli.js';

export interface Served {
  child: ChildProcess;
  port: number;
  link: string;
  output: () => string;
}

/** Starts `tokentray serve` and resolves once it printed its address and login link. */
export function startServe(configDir: string, port = '0', env: NodeJS.ProcessEnv = {}): Promise<Served> {
  return new Promise((done, fail) => {
    const cli = cliCommand(['serve', '--port', port, '--config-dir', configDir]);
    const child = spawn(cli.command, cli.args, {
      cwd: ROOT,
      env: { ...process.env, TOKENTRAY_CONFIG_DIR: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const address = /serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      const link = /(http:\/\/127\.0\.0\.1:\d+\/login#token=[A-Za-z0-9_-]+)/.exec(stdout);
      if (address && link) done({ child, port: Number(address[1]), link: link[1] as string, output: () => stdout + stderr });
    });
    child.on('close', (code) => fail(new Error(`serve exited with ${code}: ${stdout}${stderr}`)));
  });
}

/**
 * Stops a serve started here with SIGTERM, as a service manager would, and waits until it has exited
 * and closed its output. Answers its exit code (null: none, it ended by a signal or was never started).
 */
export async function stopServe(served: Pick<Served, 'child'> | undefined): Promise<number | null> {
  if (served === undefined) return null;
  const { child } = served;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const closed = once(child, 'close');
  child.kill('SIGTERM');
  const [code] = (await closed) as [number | null];
  return code;
}
