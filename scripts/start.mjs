#!/usr/bin/env node
// npm start: build, then launch the desktop app when an Electron binary exists here; otherwise say
// so in one line and run the headless mode (`tokentray serve`), which prints the dashboard link, so
// the README's run command always does the main job. Arguments are passed through.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

/** The Electron executable, or null with the reason there is none. */
export function findElectronBinary(env = process.env) {
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const candidates = ['electron', 'electron.exe', 'Electron.app/Contents/MacOS/Electron'].map((name) =>
      path.join(env.ELECTRON_OVERRIDE_DIST_PATH, name),
    );
    const found = candidates.find((candidate) => existsSync(candidate));
    return found ? { path: found } : { path: null, why: `nothing executable in ELECTRON_OVERRIDE_DIST_PATH=${env.ELECTRON_OVERRIDE_DIST_PATH}` };
  }
  try {
    // The electron package exports the binary's path; it throws when its download never happened.
    const binary = createRequire(import.meta.url)('electron');
    if (typeof binary === 'string' && existsSync(binary)) return { path: binary };
    return { path: null, why: 'the electron package has no downloaded binary' };
  } catch {
    return { path: null, why: 'the electron package has no downloaded binary' };
  }
}

function run(command, commandArgs) {
  // Its own process group, so a terminal's Ctrl-C reaches it once, through the forwarding below.
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', detached: true });
  // Forward Ctrl-C and kill requests so the child shuts down cleanly (runtime.json, servers).
  const forward = (signal) => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
}

/**
 * npm ci does not run electron's download (package.json allowScripts), so the first `npm start` on a
 * desktop fetches the binary itself. Quiet, bounded, and skipped where downloads are switched off.
 */
function tryDownloadElectron(env = process.env) {
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD || env.ELECTRON_OVERRIDE_DIST_PATH) return;
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer)) return;
  try {
    execFileSync(process.execPath, [installer], { cwd: path.dirname(installer), stdio: 'ignore', timeout: 180_000 });
  } catch {
    // No network or no release for this platform: the headless fallback below says so.
  }
}

/** Electron needs a display on Linux; a server or container without one gets the headless mode. */
function displayMissing(env = process.env) {
  return process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  // Tests that just built dist/ (TOKENTRAY_TEST_BUILT=1, as scripts/test.sh sets) skip a second build.
  if (process.env.TOKENTRAY_TEST_BUILT !== '1') {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  }
  let electron = findElectronBinary();
  if (!electron.path) {
    tryDownloadElectron();
    electron = findElectronBinary();
  }
  if (electron.path && displayMissing()) electron = { path: null, why: 'there is no display (DISPLAY is not set)' };
  if (electron.path) {
    run(electron.path, [root, ...args]);
  } else {
    console.log(`tokentray: no Electron binary is available here (${electron.why}), so this runs the headless mode (tokentray serve) instead.`);
    run(process.execPath, [path.join(root, 'bin', 'tokentray.js'), 'serve', ...args]);
  }
}
