// `tokentray exec`'s child (docs/cli.md): CMD with TOKENTRAY_TOKEN and TOKENTRAY_AUTH_HEADER in its
// environment, its exit code passed on. Shared by the full CLI and the fast path (fast-path.ts).
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { authHeaderValue, errorText } from './output.js';

export interface ChildIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Runs the command (file and args) and resolves with its exit code (127 not found, 126 not startable, 128+N on signal N). */
export async function runChild(io: ChildIo, command: readonly string[], accessToken: string, headers: Record<string, string>): Promise<number> {
  const [file, ...args] = command as [string, ...string[]];
  const env = {
    ...io.env,
    TOKENTRAY_TOKEN: accessToken,
    TOKENTRAY_AUTH_HEADER: authHeaderValue(headers),
  };
  const inherit = io.stdout === process.stdout && io.stderr === process.stderr;
  const child = spawn(file, args, { env, stdio: inherit ? 'inherit' : ['inherit', 'pipe', 'pipe'] });
  if (!inherit) {
    child.stdout?.pipe(io.stdout, { end: false });
    child.stderr?.pipe(io.stderr, { end: false });
  }
  // The child gets the terminal's Ctrl-C itself; we only wait for it and pass its code on.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt).on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') {
          io.stderr.write(errorText(`the command "${file}" was not found.`, 'Check its name and your PATH.'));
          resolve(127);
        } else {
          io.stderr.write(errorText(`the command "${file}" could not be started (${error.code ?? 'error'}).`));
          resolve(126);
        }
      });
      child.once('close', (code, signal) => {
        if (code !== null) resolve(code);
        else resolve(128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
      });
    });
  } finally {
    process.off('SIGINT', onInt).off('SIGTERM', onTerm);
  }
}
