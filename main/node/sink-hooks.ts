// Runs a token file's hook (SPEC section 7): an argument list without a shell, stopped after its
// timeout (SIGTERM, then SIGKILL), its exit and the start of its output kept for the activity log;
// or a signal to the process named in a pid file. Never throws: every outcome is a value.
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import type { Hook, HookOutcome, HookRunner, SinkPorts } from '../core/sinks/sink-keeper.js';
import { removeSinkFile, writeSinkFile } from './sink-writer.js';

/** Enough output to say what went wrong, not a log's worth. */
const OUTPUT_LIMIT = 400;
const KILL_GRACE_MS = 2_000;

function runCommand(argv: readonly string[], timeoutMs: number): Promise<HookOutcome> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn(file, args, { shell: false, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    const take = (chunk: Buffer): void => {
      if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, timeoutMs);
    const shown = (): string => {
      const text = output.slice(0, OUTPUT_LIMIT).trim().replace(/\s+/g, ' ');
      return text === '' ? '' : `: ${text}`;
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, summary: error.code === 'ENOENT' ? `"${file}" was not found` : `"${file}" could not be started (${error.code ?? 'error'})` });
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (killer !== undefined) clearTimeout(killer);
      if (timedOut) resolve({ ok: false, summary: `stopped after ${timeoutMs / 1000} s without finishing${shown()}` });
      else if (exitCode === 0) resolve({ ok: true, summary: `exit 0${shown()}` });
      else resolve({ ok: false, summary: exitCode !== null ? `exit ${exitCode}${shown()}` : `killed by ${signal ?? 'a signal'}${shown()}` });
    });
  });
}

async function readPid(pidFile: string): Promise<number | string> {
  try {
    // A link could point the signal anywhere: only a regular file is read.
    const handle = await open(pidFile, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
    try {
      const text = (await handle.readFile('utf8')).trim();
      const pid = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
      return Number.isSafeInteger(pid) && pid > 1 ? pid : `the pid file ${pidFile} does not hold a process id`;
    } finally {
      await handle.close();
    }
  } catch (error) {
    return `the pid file ${pidFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

async function sendSignal(signal: string, pidFile: string): Promise<HookOutcome> {
  if (!(signal in osConstants.signals)) return { ok: false, summary: `${signal} is not a signal on this system` };
  const pid = await readPid(pidFile);
  if (typeof pid === 'string') return { ok: false, summary: pid };
  try {
    process.kill(pid, signal as NodeJS.Signals);
    return { ok: true, summary: `sent ${signal} to pid ${pid}` };
  } catch (error) {
    return { ok: false, summary: `${signal} could not be sent to pid ${pid} (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}

export const nodeHookRunner: HookRunner = {
  run: (hook: Hook, timeoutMs: number) => (hook.kind === 'command' ? runCommand(hook.argv, timeoutMs) : sendSignal(hook.signal, hook.pidFile)),
};

/** The files and processes the sink keeper works with on this machine (createCore's `sinks`). */
export function nodeSinkPorts(): SinkPorts {
  return { files: { write: writeSinkFile, remove: removeSinkFile }, hooks: nodeHookRunner };
}
