// The CLI and the app's socket: with `tokentray serve` running, `token`, `headers`, `exec`
// and `status` go through its socket on the fast path, loading no engine, providers, commander, zod or
// keytar (a module recorder under an explicit flag, test/support/module-recorder.mjs, shows what a run
// loaded), print exactly what the full CLI prints, are recorded as `cli` (or the name a caller sends),
// and never need the file vault's passphrase; with no app the in-process engine does the work.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli, type CliResult } from '../support/cli.js';
import { startServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const RECORDER = fileURLToPath(new URL('../support/module-recorder.mjs', import.meta.url));
/** What only the full CLI or the in-process engine loads (module paths from source, or esbuild's `// path` markers in the bundle). */
const HEAVY = [/node_modules\/commander\//, /node_modules\/zod\//, /node_modules\/keytar\//, /main\/core\/engine\/token-engine\.[jt]s/, /main\/core\/providers\//, /main\/node\/cli\/main\.[jt]s/];
const ENGINE = /main\/core\/engine\/token-engine\.[jt]s/;

let logCounter = 0;
/** Runs the CLI with the module recorder; resolves with its result and the modules it loaded. */
async function runRecorded(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult & { modules: string[] }> {
  logCounter += 1;
  const log = join(tmpdir(), `tokentray-modules-${process.pid}-${logCounter}.txt`);
  const result = await runCli(args, { env: { ...env, NODE_OPTIONS: `--import=${RECORDER}`, TOKENTRAY_TEST_MODULE_LOG: log } });
  const urls = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  await rm(log, { force: true });
  // The built CLI is a bundle (dist/cli/): what a chunk holds is named in it by esbuild's comments.
  const modules: string[] = [];
  for (const url of urls) {
    modules.push(url);
    if (url.startsWith('file:') && url.includes('/dist/cli/')) {
      const text = await readFile(fileURLToPath(url), 'utf8');
      for (const match of text.matchAll(/^\/\/ ((?:\.\.\/)*(?:[\w.-]+\/)?(?:node_modules|main|common)\/\S+)$/gm)) modules.push(match[1] as string);
    }
  }
  return { ...result, modules };
}

function curl(socketPath: string, path: string, headers: string[] = []): Promise<{ code: string; body: string }> {
  return run('curl', ['-s', '-w', '\n%{http_code}', ...headers.flatMap((h) => ['-H', h]), '--unix-socket', socketPath, `http://localhost${path}`]).then(({ stdout }) => {
    const at = stdout.lastIndexOf('\n');
    return { body: stdout.slice(0, at), code: stdout.slice(at + 1) };
  });
}

interface ActivityEntry {
  kind: string;
  profileId: string;
  client?: string;
}

describe('the CLI over the app socket', () => {
  let dir: string;
  let configDir: string;
  let provider: ProviderServer;
  let served: Served;
  let socketPath: string;
  const env: NodeJS.ProcessEnv = {};

  before(async () => {
    dir = await makeTempDir('tokentray-cli-socket-');
    configDir = join(dir, 'config');
    env.XDG_RUNTIME_DIR = dir;
    provider = await startProviderServer('redpanda');
    const profile = provider.profile({ id: 'rp' });
    const added = await runCli(
      ['profile', 'add', 'rp', '--provider', 'redpanda', '--client-id', String(profile.clientId), '--token-url', String(profile.tokenUrl), '--secret-stdin', '--config-dir', configDir],
      { stdin: provider.credentials.clientSecret, env },
    );
    assert.equal(added.code, 0, added.stderr);
    served = await startServe(configDir, '0', env);
    socketPath = (JSON.parse(await readFile(join(configDir, 'runtime.json'), 'utf8')) as { socket: string }).socket;
  });
  after(async () => {
    if (served.child.exitCode === null) served.child.kill('SIGKILL');
    await runCli(['profile', 'rm', 'rp', '--config-dir', configDir], { env });
    await provider.close();
    await removeTempDir(dir);
  });

  test('token, headers, exec and status take the fast path: none of the full CLI or the engine is loaded', async () => {
    const runs = [
      await runRecorded(['token', 'rp', '--config-dir', configDir], env),
      await runRecorded(['headers', 'rp', '--json', `--config-dir=${configDir}`], env),
      await runRecorded(['exec', 'rp', '--config-dir', configDir, '--', process.execPath, '-e', 'process.exit(process.env.TOKENTRAY_TOKEN ? 0 : 9)'], env),
      await runRecorded(['status', '--config-dir', configDir], env),
    ];
    for (const result of runs) {
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.modules.some((m) => /cli\/fast-path\.[jt]s$/.test(m)), `the recorder saw the fast path: ${result.modules.join(' ')}`);
      for (const heavy of HEAVY) assert.ok(!result.modules.some((m) => heavy.test(m)), `${heavy} was loaded: ${result.modules.filter((m) => heavy.test(m)).join(' ')}`);
    }
    assert.equal(runs[0]?.stdout.trim(), provider.issued.at(-1)?.accessToken);
    // Anything else is the full CLI's: help, and commands the fast path does not take.
    const help = await runRecorded(['token', '--help'], env);
    assert.equal(help.code, 0);
    assert.ok(help.modules.some((m) => /node_modules\/commander\//.test(m)));
  });

  test('the fast path prints exactly what the full CLI prints, with the same exit codes', async () => {
    const full = { ...env, TOKENTRAY_NO_FAST_PATH: '1' };
    const cases: string[][] = [
      ['token', 'rp'],
      ['token', 'rp', '--json'],
      ['headers', 'rp'],
      ['headers', 'rp', '--json'],
      ['status', '--json'],
      ['token', 'no-such'],
      ['headers', 'no-such'],
      ['exec', 'no-such', '--', 'true'],
      ['exec', 'rp', '--', 'no-such-command-anywhere'],
      ['exec', 'rp', '--', process.execPath, '-e', 'process.stdout.write(process.env.TOKENTRAY_AUTH_HEADER); process.exit(7)'],
    ];
    for (const args of cases) {
      const withDir = [...args.slice(0, args.indexOf('--') < 0 ? args.length : args.indexOf('--')), '--config-dir', configDir, ...(args.includes('--') ? args.slice(args.indexOf('--')) : [])];
      // expires_in counts down with the clock between the two runs; everything else is byte for byte.
      const clockless = (r: CliResult): CliResult => ({ ...r, stdout: r.stdout.replace(/"expires_in": \d+/, '"expires_in": N') });
      const fast = clockless(await runCli(withDir, { env }));
      const slow = clockless(await runCli(withDir, { env: full }));
      assert.deepEqual(fast, slow, args.join(' '));
    }
    // The status table's countdown moves with the clock; its shape and rows are the same.
    const strip = (text: string): string => text.replace(/in \d+m \d+s|in \d+h \d+m/g, 'in T');
    const [fastTable, slowTable] = [await runCli(['status', '--config-dir', configDir], { env }), await runCli(['status', '--config-dir', configDir], { env: full })];
    assert.equal(fastTable.code, slowTable.code);
    assert.equal(strip(fastTable.stdout), strip(slowTable.stdout));
    assert.match(fastTable.stdout, /^rp\s+redpanda\s+fresh\s+in /m);
    assert.equal(provider.tokenRequestCount(), 1, 'every one of them was answered from the app');
  });

  test('the activity log records socket callers as cli, or the name they send; the TCP port still needs a key', async () => {
    const before = (JSON.parse((await curl(socketPath, '/v1/activity')).body) as ActivityEntry[]).length;
    assert.equal((await runCli(['token', 'rp', '--config-dir', configDir], { env })).code, 0);
    const named = await curl(socketPath, '/v1/profiles/rp/token', ['X-Tokentray-Client: deploy-script']);
    assert.equal(named.code, '200', named.body);
    const bad = await curl(socketPath, '/v1/profiles/rp/token', ['X-Tokentray-Client: no spaces allowed']);
    assert.equal(bad.code, '400');
    const entries = (JSON.parse((await curl(socketPath, '/v1/activity')).body) as ActivityEntry[]).slice(before);
    assert.deepEqual(
      entries.filter((e) => e.kind === 'token-issued').map((e) => [e.profileId, e.client]),
      [
        ['rp', 'cli'],
        ['rp', 'deploy-script'],
      ],
    );
    const tcp = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${served.port}/v1/profiles/rp/token`]);
    assert.equal(tcp.stdout, '401');
  });

  test('with no app running, the in-process engine does the work (keychain cache: no new request)', async () => {
    const closed = once(served.child, 'close');
    served.child.kill('SIGTERM');
    await closed;
    const result = await runRecorded(['token', 'rp', '--config-dir', configDir], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), provider.issued.at(-1)?.accessToken);
    assert.ok(result.modules.some((m) => ENGINE.test(m)), 'the engine ran in the CLI');
    assert.equal(provider.tokenRequestCount(), 1);
  });
});

describe('the CLI over the socket of an app on the file vault', () => {
  test('commands through the running app never ask for the passphrase, and need none in their environment', async () => {
    const dir = await makeTempDir('tokentray-cli-socket-file-');
    const provider = await startProviderServer('redpanda');
    const pass = 'the app holds this passphrase';
    const configDir = join(dir, 'config');
    const noDbus = { DBUS_SESSION_BUS_ADDRESS: '', DISPLAY: '', XDG_RUNTIME_DIR: dir, TOKENTRAY_VAULT: 'file', TOKENTRAY_VAULT_PASSPHRASE: '', TOKENTRAY_VAULT_PASSPHRASE_FILE: '' };
    let served: Served | null = null;
    try {
      const profile = provider.profile({ id: 'fv' });
      const added = await runCli(
        ['profile', 'add', 'fv', '--provider', 'redpanda', '--client-id', String(profile.clientId), '--token-url', String(profile.tokenUrl), '--secret-stdin', '--config-dir', configDir],
        { stdin: provider.credentials.clientSecret, env: { ...noDbus, TOKENTRAY_VAULT_PASSPHRASE: pass } },
      );
      assert.equal(added.code, 0, added.stderr);
      served = await startServe(configDir, '0', { ...noDbus, TOKENTRAY_VAULT_PASSPHRASE: pass });
      // No passphrase anywhere and no terminal: on its own the CLI would stop with exit 5.
      for (const extra of [{}, { TOKENTRAY_NO_FAST_PATH: '1' }]) {
        const token = await runCli(['token', 'fv', '--config-dir', configDir], { env: { ...noDbus, ...extra } });
        assert.equal(token.code, 0, token.stderr);
        assert.equal(token.stdout.trim(), provider.issued.at(-1)?.accessToken);
        assert.doesNotMatch(token.stderr, /passphrase/i);
        const status = await runCli(['status', '--json', '--config-dir', configDir], { env: { ...noDbus, ...extra } });
        assert.equal(status.code, 0, status.stderr);
      }
      const closed = once(served.child, 'close');
      served.child.kill('SIGTERM');
      await closed;
      const alone = await runCli(['token', 'fv', '--config-dir', configDir], { env: noDbus });
      assert.equal(alone.code, 5, 'without the app the vault needs its passphrase');
      assert.match(alone.stderr, /needs its passphrase/);
    } finally {
      if (served !== null && served.child.exitCode === null) served.child.kill('SIGKILL');
      await provider.close();
      await removeTempDir(dir);
    }
  });
});
