// Fresh folders under the OS temp dir for tests, and their removal: one place that decides where
// test files go and that a folder is removed with everything in it.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new empty folder whose name starts with `prefix` (e.g. 'tokentray-serve-'). */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** The same, for the few places that cannot wait (a synchronous constructor, a module's top level). */
export function makeTempDirSync(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes the folder and all in it; a folder already gone, or never made (a failed `before`), is fine. */
export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** The same, for an `after` that must not wait (a synchronous exit path). */
export function removeTempDirSync(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Folders made over a suite and removed together at its end (call `removeAll` from `after`). */
export interface TempDirs {
  make(prefix: string): Promise<string>;
  makeSync(prefix: string): string;
  removeAll(): Promise<void>;
}

export function tempDirs(): TempDirs {
  const made: string[] = [];
  return {
    async make(prefix) {
      const dir = await makeTempDir(prefix);
      made.push(dir);
      return dir;
    },
    makeSync(prefix) {
      const dir = makeTempDirSync(prefix);
      made.push(dir);
      return dir;
    },
    async removeAll() {
      await Promise.all(made.splice(0).map((dir) => removeTempDir(dir)));
    },
  };
}
