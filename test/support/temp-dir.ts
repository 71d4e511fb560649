// Fresh folders under the OS temp dir for tests, and their removal: one place that decides where
// test files go and that a folder is removed with everything in it; and what a folder holds, for the
// tests that check no secret was written anywhere in it.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
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

/** A file under a folder and what it holds. */
export interface FileText {
  file: string;
  text: string;
}

/**
 * Every file under `dir`, in every subfolder, with what it holds. A running app takes and drops its
 * history files' lock while the folder is read: a file gone between the listing and its read holds
 * nothing any more and is left out. Any other failure to read is thrown.
 */
export async function readFilesUnder(dir: string, encoding: BufferEncoding = 'utf8'): Promise<FileText[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: FileText[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    try {
      out.push({ file, text: await readFile(file, encoding) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return out;
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
