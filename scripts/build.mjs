// npm run build: main + common with tsc (ESM, dist/), the sandboxed preload bundled to one CommonJS
// file with esbuild (sandboxed preloads cannot load ESM or require local files), and the renderer
// with Vite (dist/renderer).
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
run('npx', ['tsc', '-p', 'tsconfig.build.json']);

if (existsSync('preload/index.ts')) {
  await build({
    entryPoints: ['preload/index.ts'],
    outfile: 'dist/preload/index.cjs',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
    logLevel: 'warning',
  });
}

// The CLI as bin/tokentray.js loads it: one bundle with a chunk per lazily loaded part
// instead of some two hundred modules (our files, zod's locales, ajv), so a call starts in about half
// the time. The fast path is an entry of its own that shares only its few small modules. keytar is
// native and stays in node_modules; CommonJS dependencies get a require of their own.
await build({
  entryPoints: { 'fast-path': 'main/node/cli/fast-path.ts', main: 'main/node/cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['keytar'],
  sourcemap: true,
  banner: { js: "import { createRequire as __tokentrayRequire } from 'node:module'; const require = __tokentrayRequire(import.meta.url);" },
  logLevel: 'warning',
});

if (existsSync('renderer/vite.config.ts')) {
  run('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);
}
