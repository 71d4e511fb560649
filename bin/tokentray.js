#!/usr/bin/env node
// The `tokentray` command: the built CLI (npm run build bundles it to dist/cli/). The fast path goes first: when
// the running app answers on its socket, `token`, `headers`, `exec` and `status` are done with one
// request and the full CLI is never loaded; otherwise it returns null and the full CLI runs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli/', import.meta.url);
const entry = new URL('main.js', dist);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('tokentray: not built yet. Run `npm run build` in the project folder first.\n');
  process.exit(1);
}
const argv = process.argv.slice(2);
const { runFastPath } = await import(new URL('fast-path.js', dist).href);
const fast = await runFastPath(argv);
if (fast !== null) {
  process.exitCode = fast;
} else {
  const { main } = await import(entry.href);
  process.exitCode = await main(argv);
}
