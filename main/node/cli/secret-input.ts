// Secrets reach the CLI only through stdin (--secret-stdin) or a prompt with echo off on a TTY
// (docs/cli.md): never argv (shell history, `ps`) and never environment variables.
import { usageError, type CliIo } from './context.js';

/** Reads all of stdin and strips exactly one trailing newline (what `echo` and here-strings add). */
export async function readSecretFromStdin(stdin: CliIo['stdin']): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Asks on the terminal with echo off. Only when stdin is a TTY; otherwise asks for --secret-stdin. */
export async function promptSecret(io: CliIo, label: string): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
    throw usageError(
      `no ${label} given.`,
      'Pipe it in with --secret-stdin (e.g. `printf %s "$SECRET" | tokentray profile add … --secret-stdin`), or run in a terminal to be asked.',
    );
  }
  const setRaw = stdin.setRawMode.bind(stdin);
  // Echo goes off before the prompt shows: keys typed (or pasted) the moment it appears are never echoed.
  setRaw(true);
  io.stderr.write(`${label}: `);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (data: Buffer | string): void => {
        for (const char of data.toString('utf8')) {
          if (char === '\r' || char === '\n' || char === '\u0004') {
            stdin.removeListener('data', onData);
            io.stderr.write('\n');
            resolve(value);
            return;
          }
          if (char === '\u0003') {
            stdin.removeListener('data', onData);
            io.stderr.write('\n');
            reject(usageError('cancelled.'));
            return;
          }
          if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
          else value += char;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    setRaw(false);
    stdin.pause();
  }
}

/** Options that would carry a secret on the command line, refused before anything is parsed. */
const SECRET_FLAG = /^--?(client[-_]?secret|secret|password|passwd|pass|api[-_]?secret|private[-_]?key|token)(=|$)/i;

/** The flag's name (never its value) when argv (before any `--`) tries to pass a secret. */
export function findSecretInArgv(argv: readonly string[]): string | null {
  for (const arg of argv) {
    if (arg === '--') return null;
    const match = SECRET_FLAG.exec(arg);
    if (match) return `--${match[1]}`;
  }
  return null;
}
