// runtime.json in the config directory (SPEC section 4): how the CLI finds the running app. Port,
// pid, version and start time only, never a secret or a key. Written at start, removed at a clean
// shutdown; an entry whose process is gone is ignored (a crash leaves it behind).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const RUNTIME_FILE_NAME = 'runtime.json';

const runtimeSchema = z.object({
  port: z.number().int().min(1).max(65_535),
  pid: z.number().int().positive(),
  version: z.string(),
  startedAt: z.string(),
  mode: z.enum(['headless', 'tray']).optional(),
});
export type RuntimeInfo = z.infer<typeof runtimeSchema>;

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

/** Atomic: a reader never sees half a file. */
export async function writeRuntimeFile(configDir: string, info: RuntimeInfo): Promise<void> {
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const target = runtimeFilePath(configDir);
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
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
  let parsed: ReturnType<typeof runtimeSchema.safeParse>;
  try {
    parsed = runtimeSchema.safeParse(JSON.parse(text));
  } catch {
    return null;
  }
  if (!parsed.success || !isProcessAlive(parsed.data.pid)) return null;
  return parsed.data;
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
