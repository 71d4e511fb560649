// The `tokentray` CLI as a person runs it: a real child process, a temp config directory, the real
// keychain (scripts/test.sh: private D-Bus + gnome-keyring, throwaway service) and each provider's
// local server. After the workflows, every file under the config directories and everything the CLI
// printed (except stdout of token/headers/exec, whose job is to print credentials) is searched for
// every secret and token value.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ProfileConfig, ProfileStatus, TokenResponse } from '../../common/contract.js';
import { startProviderServer, type ProviderServer, type ServerKind } from '../support/servers/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = path.join(ROOT, 'main/node/cli/run.ts');

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  stdin?: string;
  env?: NodeJS.ProcessEnv;
}

/** Everything printed, for the leak search: stdout of credential commands is excluded by design. */
const printed: string[] = [];
const configDirs: string[] = [];
const CREDENTIAL_COMMANDS = new Set(['token', 'headers', 'exec']);

function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
      cwd: ROOT,
      env: { ...process.env, TOKENTRAY_CONFIG_DIR: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      printed.push(stderr);
      if (!CREDENTIAL_COMMANDS.has(args[0] ?? '')) printed.push(stdout);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

async function tempConfigDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tokentray-cli-'));
  configDirs.push(dir);
  return dir;
}

/** At most `limit` at once: the machine has 2 cores and other tests run beside these. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

const FLAG_OF: Record<string, string> = {
  name: '--name',
  clientId: '--client-id',
  username: '--username',
  tokenUrl: '--token-url',
  apiUrl: '--api-url',
  baseUrl: '--base-url',
  audience: '--audience',
  scope: '--scope',
  authMethod: '--auth-method',
  defaultLifetimeSec: '--default-lifetime',
  sessionLifetimeSec: '--session-lifetime',
};

function addArgs(profile: ProfileConfig, configDir: string): string[] {
  const args = ['profile', 'add', profile.id, '--provider', profile.provider, '--config-dir', configDir, '--secret-stdin'];
  for (const [key, value] of Object.entries(profile)) {
    if (key === 'id' || key === 'provider' || value === undefined) continue;
    if (key === 'extraParams') {
      for (const [k, v] of Object.entries(value as Record<string, string>)) args.push('--param', `${k}=${v}`);
      continue;
    }
    const flag = FLAG_OF[key];
    assert.ok(flag, `no CLI flag for profile field ${key}`);
    args.push(flag, String(value));
  }
  return args;
}

interface Case {
  label: string;
  kind: ServerKind;
  overrides?: Partial<ProfileConfig>;
}

const CASES: Case[] = [
  { label: 'redpanda', kind: 'redpanda' },
  { label: 'camunda-console', kind: 'camunda-console' },
  { label: 'camunda-operate', kind: 'camunda-operate' },
  { label: 'camunda-operate-identity', kind: 'camunda-operate-identity' },
  { label: 'camunda-operate-cookie', kind: 'camunda-operate-cookie' },
  { label: 'acquia', kind: 'acquia' },
  { label: 'sendcloud-oauth2', kind: 'sendcloud' },
  { label: 'sendcloud-basic', kind: 'sendcloud', overrides: { provider: 'sendcloud-basic', tokenUrl: undefined } },
  { label: 'oauth2', kind: 'oauth2', overrides: { authMethod: 'client_secret_post', scope: 'read write', extraParams: { resource: 'https://api.example.test' } } },
];

const servers: ProviderServer[] = [];
/** Every secret and credential value that must never appear in files or in non-credential output. */
const secretValues = new Set<string>();

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(configDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

function curlWithHeaders(url: string, headers: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', '@-', url], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('close', () => resolve(Number(out)));
    child.stdin.end(headers);
  });
}

describe('tokentray CLI workflows', () => {
  test('every provider: add, list, show, token (cached across processes), headers, exec, status, rm', async () => {
    await inParallel(CASES, 3, async (c) => {
      const server = await startProviderServer(c.kind);
      servers.push(server);
      const configDir = await tempConfigDir();
      const profile = server.profile({ id: `cli-${c.label}`, name: `CLI ${c.label}`, ...c.overrides });
      const secret = Object.values(server.secrets())[0]!;
      secretValues.add(secret);
      const tag = `[${c.label}]`;

      const added = await runCli(addArgs(profile, configDir), { stdin: `${secret}\n` });
      assert.equal(added.code, 0, `${tag} add: ${added.stderr}`);
      assert.match(added.stderr, /Added profile/);

      const listed = await runCli(['profile', 'list', '--json', '--config-dir', configDir]);
      assert.equal(listed.code, 0, `${tag} list: ${listed.stderr}`);
      const profiles = JSON.parse(listed.stdout) as ProfileConfig[];
      assert.deepEqual(
        profiles.map((p) => [p.id, p.provider]),
        [[profile.id, profile.provider]],
      );
      const table = await runCli(['profile', 'list', '--config-dir', configDir]);
      assert.match(table.stdout, new RegExp(`^${profile.id}\\s+CLI ${c.label}\\s+${profile.provider}$`, 'm'));

      const shown = await runCli(['profile', 'show', profile.id, '--config-dir', configDir]);
      assert.equal(shown.code, 0, `${tag} show: ${shown.stderr}`);
      assert.match(shown.stdout, /stored in the OS keychain/);

      const first = await runCli(['token', profile.id, '--config-dir', configDir]);
      assert.equal(first.code, 0, `${tag} token: ${first.stderr}`);
      const token = first.stdout.replace(/\n$/, '');
      assert.equal(first.stdout, `${token}\n`, `${tag} token prints the token and one newline only`);
      assert.ok(token.length > 0);
      secretValues.add(token);

      // A second process reuses the keychain-cached token: no second request upstream.
      const second = await runCli(['token', profile.id, '--json', '--config-dir', configDir]);
      assert.equal(second.code, 0, `${tag} token --json: ${second.stderr}`);
      const response = JSON.parse(second.stdout) as TokenResponse;
      assert.equal(response.access_token, token);
      const expectedRequests = profile.provider === 'sendcloud-basic' ? 0 : 1;
      assert.equal(server.tokenRequestCount(), expectedRequests, `${tag} token requests upstream`);

      const headers = await runCli(['headers', profile.id, '--config-dir', configDir]);
      assert.equal(headers.code, 0, `${tag} headers: ${headers.stderr}`);
      for (const line of headers.stdout.trimEnd().split('\n')) assert.match(line, /^[A-Za-z0-9-]+: \S.*$/, `${tag} header line`);
      assert.ok(headers.stdout.includes(token), `${tag} headers carry the credential`);
      for (const line of headers.stdout.trimEnd().split('\n')) secretValues.add(line.slice(line.indexOf(': ') + 2));
      // `curl -H @-` takes them as they are, and the API accepts them.
      assert.equal(await curlWithHeaders(`${server.apiUrl}/whoami`, headers.stdout), 200, `${tag} curl -H @- whoami`);

      const script = 'process.stdout.write(JSON.stringify([process.env.TOKENTRAY_TOKEN, process.env.TOKENTRAY_AUTH_HEADER])); process.exit(7)';
      const exec = await runCli(['exec', profile.id, '--config-dir', configDir, '--', process.execPath, '-e', script]);
      assert.equal(exec.code, 7, `${tag} exec passes the command's exit code: ${exec.stderr}`);
      const [envToken, envHeader] = JSON.parse(exec.stdout) as [string, string];
      assert.equal(envToken, token);
      const expectedHeader = headers.stdout.match(/^(?:Authorization|Cookie): (.*)$/m)?.[1];
      assert.equal(envHeader, expectedHeader, `${tag} TOKENTRAY_AUTH_HEADER is the header value`);
      if (profile.provider !== 'camunda-operate-cookie') assert.match(envHeader, /^(Bearer|Basic) /i);

      const status = await runCli(['status', '--json', '--config-dir', configDir]);
      assert.equal(status.code, 0, `${tag} status: ${status.stderr}`);
      const statuses = JSON.parse(status.stdout) as ProfileStatus[];
      assert.equal(statuses.length, 1);
      assert.equal(statuses[0]!.id, profile.id);
      assert.ok(['fresh', 'expiring'].includes(statuses[0]!.state), `${tag} state ${statuses[0]!.state}`);
      const statusTable = await runCli(['status', '--config-dir', configDir]);
      assert.match(statusTable.stdout, /^ID\s+PROVIDER\s+STATE/m);
      assert.match(statusTable.stdout, new RegExp(`^${profile.id}\\s+${profile.provider}\\s+(fresh|expiring)`, 'm'));
      assert.equal(server.tokenRequestCount(), expectedRequests, `${tag} still one token request after headers/exec/status`);

      for (const issued of server.issued) {
        secretValues.add(issued.accessToken);
        if (issued.csrfToken) secretValues.add(issued.csrfToken);
        for (const cookie of issued.cookies ?? []) secretValues.add(cookie.slice(cookie.indexOf('=') + 1));
      }
      if (profile.provider === 'sendcloud-basic') {
        secretValues.add(Buffer.from(`${server.credentials.clientId}:${secret}`).toString('base64'));
      }

      // Leak search now, while the cached token and config still exist.
      await assertNoSecretsUnder(configDir, tag);

      const removed = await runCli(['profile', 'rm', profile.id, '--config-dir', configDir]);
      assert.equal(removed.code, 0, `${tag} rm: ${removed.stderr}`);
      const afterRm = await runCli(['token', profile.id, '--config-dir', configDir]);
      assert.equal(afterRm.code, 3, `${tag} token after rm`);
      const empty = await runCli(['profile', 'list', '--json', '--config-dir', configDir]);
      assert.deepEqual(JSON.parse(empty.stdout), []);
    });
  });

  test('nothing the CLI printed (but token/headers/exec stdout) and no config file holds a secret or token', async () => {
    assert.ok(secretValues.size >= CASES.length * 2, 'the workflows collected their secrets first');
    for (const dir of configDirs) await assertNoSecretsUnder(dir, dir);
    const all = printed.join('\n');
    for (const value of secretValues) {
      assert.ok(!all.includes(value), `a secret or token (sha256 ${sha(value)}) appeared in CLI output`);
    }
  });
});

async function assertNoSecretsUnder(dir: string, tag: string): Promise<void> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  assert.ok(files.length > 0 || tag === dir, `${tag}: the config directory has files`);
  for (const file of files) {
    const content = await fs.readFile(file, 'utf8');
    for (const value of secretValues) {
      assert.ok(!content.includes(value), `${tag}: a secret or token (sha256 ${sha(value)}) is in ${file}`);
    }
  }
}

function sha(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

describe('tokentray CLI bad input', () => {
  let configDir: string;
  let server: ProviderServer;

  before(async () => {
    configDir = await tempConfigDir();
    server = await startProviderServer('redpanda');
    servers.push(server);
  });

  const add = (id: string, extra: string[], stdin = 'a-secret\n', env?: NodeJS.ProcessEnv) =>
    runCli(['profile', 'add', id, '--config-dir', configDir, '--secret-stdin', ...extra], env ? { stdin, env } : { stdin });

  test('invalid profiles are refused with exit 2, a message that says what to fix, and nothing saved', async () => {
    const cases: Array<{ id: string; extra: string[]; message: RegExp }> = [
      { id: 'p1', extra: ['--provider', 'nope', '--client-id', 'a'], message: /unknown provider "nope"; use one of: redpanda/ },
      { id: 'Bad_ID', extra: ['--provider', 'redpanda', '--client-id', 'a'], message: /id: must be 1-64 characters of a-z, 0-9 and -/ },
      { id: 'p2', extra: ['--provider', 'oauth2', '--client-id', 'a'], message: /tokenUrl: Token URL is required/ },
      { id: 'p3', extra: ['--provider', 'redpanda'], message: /clientId: Client ID is required for Redpanda/ },
      { id: 'p4', extra: ['--provider', 'oauth2', '--client-id', 'a', '--token-url', 'ftp://example.test/token'], message: /tokenUrl: must be an http:\/\/ or https:\/\/ URL/ },
      { id: 'p5', extra: ['--provider', 'redpanda', '--client-id', 'a', '--api-url', 'not a url'], message: /apiUrl: must be an http/ },
      { id: 'p6', extra: ['--provider', 'oauth2', '--client-id', 'a', '--token-url', 'http://x.test', '--auth-method', 'magic'], message: /authMethod/ },
    ];
    const results = await Promise.all(cases.map((c) => add(c.id, c.extra)));
    for (const [index, result] of results.entries()) {
      const c = cases[index]!;
      assert.equal(result.code, 2, `${c.id}: ${result.stderr}`);
      assert.match(result.stderr, c.message);
      assert.match(result.stderr, /Nothing was saved/);
    }
    const empty = await add('p7', ['--provider', 'redpanda', '--client-id', 'a'], '\n');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /clientSecret: must not be empty/);
    const missing = await runCli(['profile', 'add', 'p8', '--provider', 'redpanda', '--client-id', 'a', '--config-dir', configDir]);
    assert.equal(missing.code, 2, 'no --secret-stdin and no terminal to ask on');
    assert.match(missing.stderr, /--secret-stdin/);
    const noProvider = await runCli(['profile', 'add', 'p9', '--config-dir', configDir]);
    assert.equal(noProvider.code, 2);
    assert.match(noProvider.stderr, /--provider/);

    const list = await runCli(['profile', 'list', '--json', '--config-dir', configDir]);
    assert.deepEqual(JSON.parse(list.stdout), [], 'no invalid request changed anything');
  });

  test('a secret on the command line is refused and never echoed', async () => {
    for (const flag of [['--client-secret', 'hunter2-argv'], ['--password=hunter2-argv'], ['--secret', 'hunter2-argv']]) {
      const result = await runCli(['profile', 'add', 'argv', '--provider', 'redpanda', '--client-id', 'a', ...flag, '--config-dir', configDir]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /secrets are never taken on the command line/);
      assert.match(result.stderr, /--secret-stdin/);
      assert.ok(!result.stderr.includes('hunter2-argv') && !result.stdout.includes('hunter2-argv'));
    }
  });

  test('usage errors exit 2 with a hint; --help exits 0', async () => {
    const [unknown, help, addHelp, noArgs] = await Promise.all([
      runCli(['frobnicate']),
      runCli(['--help']),
      runCli(['profile', 'add', '--help']),
      runCli(['token', '--config-dir', configDir]),
    ]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    assert.match(unknown.stderr, /--help/);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /profile/);
    assert.equal(addHelp.code, 0);
    assert.match(addHelp.stdout, /--secret-stdin/);
    assert.match(addHelp.stdout, /--config-dir/);
    assert.equal(noArgs.code, 2);
    assert.match(noArgs.stderr, /missing required argument 'id'/);
  });

  test('unknown profile exits 3', async () => {
    const results = await Promise.all([
      runCli(['token', 'no-such', '--config-dir', configDir]),
      runCli(['headers', 'no-such', '--config-dir', configDir]),
      runCli(['profile', 'show', 'no-such', '--config-dir', configDir]),
      runCli(['profile', 'rm', 'no-such', '--config-dir', configDir]),
      runCli(['exec', 'no-such', '--config-dir', configDir, '--', 'true']),
    ]);
    for (const result of results) {
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /There is no profile "no-such"/);
      assert.match(result.stderr, /tokentray profile list/);
    }
  });

  test('wrong secret exits 4; an unreachable token URL exits 4; neither message carries a secret', async () => {
    const closed = await startProviderServer('redpanda');
    const unreachableUrl = closed.tokenUrl;
    await closed.close();
    const wrong = await add('wrong-secret', ['--provider', 'redpanda', '--client-id', server.credentials.clientId, '--token-url', server.tokenUrl], 'not-the-secret\n');
    assert.equal(wrong.code, 0, wrong.stderr);
    const down = await add('unreachable', ['--provider', 'redpanda', '--client-id', 'a', '--token-url', unreachableUrl]);
    assert.equal(down.code, 0, down.stderr);

    const [rejected, refused] = await Promise.all([
      runCli(['token', 'wrong-secret', '--config-dir', configDir]),
      runCli(['token', 'unreachable', '--config-dir', configDir]),
    ]);
    assert.equal(rejected.code, 4, rejected.stderr);
    assert.match(rejected.stderr, /client id or secret was rejected|rejected/i);
    assert.match(rejected.stderr, /hint: /);
    assert.equal(rejected.stdout, '');
    assert.ok(!rejected.stderr.includes('not-the-secret'));
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /127\.0\.0\.1/);
    assert.match(refused.stderr, /hint: /);
    assert.ok(!refused.stderr.includes('a-secret'));
  });

  test('no Secret Service: exit 5 with a hint, nothing saved, no plaintext fallback', async () => {
    const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent', DISPLAY: '' };
    const added = await add('no-keychain', ['--provider', 'redpanda', '--client-id', 'a', '--token-url', server.tokenUrl], 'kc-secret-123\n', noKeychain);
    assert.equal(added.code, 5, added.stderr);
    assert.match(added.stderr, /keychain/i);
    assert.match(added.stderr, /hint: /);
    const list = await runCli(['profile', 'list', '--json', '--config-dir', configDir]);
    assert.ok(!(JSON.parse(list.stdout) as ProfileConfig[]).some((p) => p.id === 'no-keychain'), 'the profile was not saved');
    const files = await fs.readdir(configDir);
    for (const file of files) assert.ok(!(await fs.readFile(path.join(configDir, file), 'utf8')).includes('kc-secret-123'));

    // A profile that exists, but the keychain is gone: the token cannot be had.
    const ok = await add('kc-later', ['--provider', 'redpanda', '--client-id', 'a', '--token-url', server.tokenUrl]);
    assert.equal(ok.code, 0, ok.stderr);
    const token = await runCli(['token', 'kc-later', '--config-dir', configDir], { env: noKeychain });
    assert.equal(token.code, 5, token.stderr);
    assert.match(token.stderr, /keychain/i);
  });

  test('a corrupt config file is moved aside, reported, and the command exits non-zero', async () => {
    const dir = await tempConfigDir();
    await fs.writeFile(path.join(dir, 'config.json'), '{"profiles": {"half": ');
    const broken = await runCli(['profile', 'list', '--config-dir', dir]);
    assert.equal(broken.code, 1, broken.stderr);
    assert.match(broken.stderr, /not valid JSON/);
    assert.match(broken.stderr, /moved aside to .*config\.json\.corrupt-/);
    const files = await fs.readdir(dir);
    const moved = files.find((f) => f.startsWith('config.json.corrupt-'));
    assert.ok(moved, 'the broken file is kept');
    assert.equal(await fs.readFile(path.join(dir, moved), 'utf8'), '{"profiles": {"half": ');

    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ profiles: { x: { id: 'x', name: 'X', provider: 'nope' } } }));
    const invalid = await runCli(['status', '--config-dir', dir]);
    assert.equal(invalid.code, 1, invalid.stderr);
    assert.match(invalid.stderr, /does not match the schema: profiles\.x\.provider/);

    const fresh = await runCli(['profile', 'list', '--json', '--config-dir', dir]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.deepEqual(JSON.parse(fresh.stdout), []);
    assert.equal((await fs.readdir(dir)).filter((f) => f.startsWith('config.json.corrupt-')).length, 2);
  });

  test('clients add prints the key once and stores only its hash; list and rm', async () => {
    const dir = await tempConfigDir();
    const added = await runCli(['clients', 'add', 'ci-bot', '--config-dir', dir]);
    assert.equal(added.code, 0, added.stderr);
    const key = added.stdout.trim();
    assert.match(key, /^ttk_[A-Za-z0-9_-]{43}$/);
    assert.match(added.stderr, /shown only this once/);
    const config = await fs.readFile(path.join(dir, 'config.json'), 'utf8');
    assert.ok(!config.includes(key));
    assert.ok(config.includes(createHash('sha256').update(key).digest('hex')));
    const [dup, unknownProfile, list] = await Promise.all([
      runCli(['clients', 'add', 'ci-bot', '--config-dir', dir]),
      runCli(['clients', 'add', 'other', '--profiles', 'nope', '--config-dir', dir]),
      runCli(['clients', 'list', '--json', '--config-dir', dir]),
    ]);
    assert.equal(dup.code, 2);
    assert.equal(unknownProfile.code, 3);
    const clients = JSON.parse(list.stdout) as Array<{ name: string; profiles: null; hash?: string }>;
    assert.deepEqual(
      clients.map((c) => [c.name, c.profiles, c.hash]),
      [['ci-bot', null, undefined]],
    );
    assert.ok(!list.stdout.includes(key));
    const removed = await runCli(['clients', 'rm', 'ci-bot', '--config-dir', dir]);
    assert.equal(removed.code, 0, removed.stderr);
    const again = await runCli(['clients', 'rm', 'ci-bot', '--config-dir', dir]);
    assert.equal(again.code, 3);
  });
});
