// Where Tokentray's own files are (the built dashboard, assets) and its version: the nearest folder
// above a module with Tokentray's package.json, from src/ under tsx or from dist/ once built. The one
// search the CLI, `tokentray serve` and the Electron main process share.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function manifestOf(dir: string): { name?: unknown; version?: unknown } | null {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return null;
  try {
    return JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return null; // Not ours, or unreadable: keep looking.
  }
}

/** The package root above `from` (default: this module), or the module's own folder when none is found. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (manifestOf(dir)?.name === 'tokentray') return dir;
    const parent = dirname(dir);
    if (parent === dir) return dirname(from);
    dir = parent;
  }
}

export function packageVersion(root: string = packageRoot()): string {
  const version = manifestOf(root)?.version;
  return typeof version === 'string' ? version : '0.0.0';
}
