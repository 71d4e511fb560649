// runtime.json in the config directory (docs/http-api.md): how the CLI finds the running app. Port,
// pid, version, start time and the local socket's path only, never a secret or a key. Written at start, removed at a clean
// shutdown; an entry whose process is gone is ignored (a crash leaves it behind).
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const RUNTIME_FILE_NAME = 'runtime.json';

export interface RuntimeInfo {
  port: number;
  pid: number;
  version: string;
  startedAt: string;
  mode?: 'headless' | 'tray';
  /** The user-only local socket; absent where the app serves none (Windows). */
  socket?: string;
}

/**
 * The entry as read, or null when any field is off. Checked by hand rather than with a schema: the
 * CLI's fast path (cli/fast-path.ts) reads this file on every call and must not load zod.
 */
export function parseRuntimeInfo(value: unknown): RuntimeInfo | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const { port, pid, version, startedAt, mode, socket } = v;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) return null;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return null;
  if (typeof version !== 'string' || typeof startedAt !== 'string') return null;
  if (mode !== undefined && mode !== 'headless' && mode !== 'tray') return null;
  if (socket !== undefined && (typeof socket !== 'string' || socket === '')) return null;
  const info: RuntimeInfo = { port, pid, version, startedAt };
  if (mode !== undefined) info.mode = mode;
  if (socket !== undefined) info.socket = socket;
  return info;
}

export function runtimeFilePath(configDir: string): string {
  return join(configDir, RUNTIME_FILE_NAME);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means "alive".
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let tempCounter = 0;

/** Atomic: a reader never sees half a file. */
export async function writeRuntimeFile(configDir: string, info: RuntimeInfo): Promise<void> {
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const target = runtimeFilePath(configDir);
  // pid and a counter name the temp file: no node:crypto to load on the fast path, which reads this module.
  tempCounter += 1;
  const temp = `${target}.${process.pid}-${tempCounter}-${Date.now().toString(36)}.tmp`;
  await writeFile(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, target);
}

/** The running app's entry, or null when there is none, it is unreadable, or its process is gone. */
export async function readRuntimeFile(configDir: string): Promise<RuntimeInfo | null> {
  let text: string;
  try {
    text = await readFile(runtimeFilePath(configDir), 'utf8');
  } catch {
    return null;
  }
  return liveEntry(text);
}

/** readRuntimeFile without a promise (the fast path). */
export function readRuntimeFileSync(configDir: string): RuntimeInfo | null {
  let text: string;
  try {
    text = readFileSync(runtimeFilePath(configDir), 'utf8');
  } catch {
    return null;
  }
  return liveEntry(text);
}

function liveEntry(text: string): RuntimeInfo | null {
  let info: RuntimeInfo | null;
  try {
    info = parseRuntimeInfo(JSON.parse(text));
  } catch {
    return null;
  }
  if (info === null || !isProcessAlive(info.pid)) return null;
  return info;
}

/** Removes the file if it is ours (another instance may have replaced it). */
export async function removeRuntimeFile(configDir: string, pid: number = process.pid): Promise<void> {
  try {
    const current = JSON.parse(await readFile(runtimeFilePath(configDir), 'utf8')) as { pid?: unknown };
    if (current.pid !== pid) return;
  } catch {
    // Unreadable: ours or not, it is useless; remove it.
  }
  await rm(runtimeFilePath(configDir), { force: true });
}
