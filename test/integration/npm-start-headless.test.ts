// `npm start` on a fresh headless machine: scripts/start.mjs with no D-Bus, no
// keychain, no display and no passphrase in the environment falls back to `tokentray serve`, which
// keeps running on a locked file vault and prints the dashboard link; with TOKENTRAY_VAULT_PASSPHRASE
// set it starts unlocked and unattended. (TOKENTRAY_TEST_BUILT=1 skips the rebuild when dist/ is
// fresh; without it, start.mjs builds first, exactly as `npm start` does.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT } from '../support/cli.js';
import { tempDirs } from '../support/temp-dir.js';

const dirs = tempDirs();
after(async () => {
  await dirs.removeAll();
});

function freshMachineEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', TOKENTRAY_CONFIG_DIR: '' };
  for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY', 'TOKENTRAY_VAULT_PASSPHRASE', 'TOKENTRAY_VAULT_PASSPHRASE_FILE', 'TOKENTRAY_VAULT']) delete env[name];
  return { ...env, ...extra };
}

/** Runs `node scripts/start.mjs --port 0 --config-dir DIR` until the link is printed, then stops it. */
async function npmStart(env: NodeJS.ProcessEnv): Promise<{ output: string; origin: string; health: string; code: number | null; dir: string }> {
  const dir = await dirs.make('tokentray-npm-start-');
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs'), '--port', '0', '--config-dir', dir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const origin = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      const link = /Dashboard \(one-time login link\): (http:\/\/127\.0\.0\.1:\d+)\/login#token=\S+/.exec(output);
      if (link?.[1] && /Press Ctrl\+C to stop/.test(output)) resolve(link[1]);
    });
    void exited.then((code) => reject(new Error(`npm start exited with ${code}: ${output}`)));
  });
  const health = ((await (await fetch(`${origin}/v1/health`)).json()) as { status: string }).status;
  child.kill('SIGTERM');
  return { output, origin, health, code: await exited, dir };
}

describe('npm start on a fresh headless machine', () => {
  test('no D-Bus, no keychain, no passphrase: the dashboard link, a locked file vault, and a clean stop', async () => {
    const run = await npmStart(freshMachineEnv());
    assert.match(run.output, /no Electron binary is available here .* so this runs the headless mode/);
    assert.match(run.output, /vault: the encrypted file .*vault\.json \(auto: no D-Bus session\)/);
    assert.match(run.output, /The vault has no passphrase yet: open the link to create one/);
    assert.equal(run.health, 'locked');
    assert.equal(run.code, 0, run.output);
    assert.ok(!existsSync(join(run.dir, 'runtime.json')), 'runtime.json removed on stop');
    assert.ok(!existsSync(join(run.dir, 'vault.json')), 'nothing is created before a person chooses a passphrase');
  });

  test('with TOKENTRAY_VAULT_PASSPHRASE set it starts unlocked, unattended', async () => {
    const run = await npmStart(freshMachineEnv({ TOKENTRAY_VAULT_PASSPHRASE: 'unattended ferry-lantern passphrase 47' }));
    assert.equal(run.health, 'ok');
    assert.doesNotMatch(run.output, /no passphrase yet|is locked/);
    assert.ok(existsSync(join(run.dir, 'vault.json')), 'the vault was created with the passphrase');
    assert.ok(!run.output.includes('unattended ferry-lantern passphrase 47'));
    assert.equal(run.code, 0, run.output);
  });
});
