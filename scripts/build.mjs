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

if (existsSync('renderer/vite.config.ts')) {
  run('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);
}
