// The interactive secret prompt (docs/cli.md: secrets from stdin or a prompt, never argv) on a real
// pseudo-terminal: util-linux `script` gives the CLI a TTY, so the echo-off path runs as a person would
// meet it. The transcript is everything the terminal showed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { cliCommand, removeTempConfigDirs, ROOT, runCli, tempConfigDir } from '../support/cli.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';

const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI under a pty and types `keys` once the prompt shows; resolves with exit code and transcript. */
function runOnTerminal(args: string[], promptText: string, keys: string): Promise<{ code: number | null; screen: string }> {
  const cli = cliCommand(args);
  const commandLine = [cli.command, ...cli.args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', commandLine, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, TOKENTRAY_CONFIG_DIR: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    let typed = false;
    const onOutput = (chunk: Buffer): void => {
      screen += chunk.toString('utf8');
      if (!typed && screen.includes(promptText)) {
        typed = true;
        child.stdin.write(keys);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, screen }));
  });
}

describe('CLI secret prompt on a terminal', () => {
  let server: ProviderServer;

  before(async () => {
    server = await startProviderServer('redpanda', { clientSecret: 'typed-on-a-terminal' });
  });
  after(async () => {
    await server.close();
    await removeTempConfigDirs();
  });

  test('asks with echo off, honours backspace, stores what was typed, never shows it', async () => {
    const configDir = await tempConfigDir();
    const profile = server.profile({ id: 'typed' });
    // A typo corrected with two backspaces (DEL, as terminals send it), then Enter.
    const keys = 'typed-on-a-terminalXY\u007f\u007f\r';
    const added = await runOnTerminal(
      ['profile', 'add', 'typed', '--provider', 'redpanda', '--client-id', profile.clientId as string,
        '--token-url', profile.tokenUrl as string, '--config-dir', configDir],
      'secret',
      keys,
    );
    assert.equal(added.code, 0, added.screen);
    assert.match(added.screen, /secret/i, 'the prompt names what it asks for');
    assert.ok(!added.screen.includes('typed-on-a-terminal'), `the secret was echoed:\n${added.screen}`);

    // The provider accepts what was stored: the secret reached the keychain intact.
    const token = await runCli(['token', 'typed', '--config-dir', configDir]);
    assert.equal(token.code, 0, token.stderr);
    assert.equal(token.stdout.trim(), server.issued.at(-1)?.accessToken);
    await runCli(['profile', 'rm', 'typed', '--config-dir', configDir]);
  });

  test('Ctrl-C at the prompt cancels and saves nothing', async () => {
    const configDir = await tempConfigDir();
    const profile = server.profile({ id: 'cancelled' });
    const run = await runOnTerminal(
      ['profile', 'add', 'cancelled', '--provider', 'redpanda', '--client-id', profile.clientId as string,
        '--token-url', profile.tokenUrl as string, '--config-dir', configDir],
      'secret',
      'half\u0003',
    );
    assert.equal(run.code, 2, run.screen);
    const list = await runCli(['profile', 'list', '--json', '--config-dir', configDir]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), []);
  });
});
