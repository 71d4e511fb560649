// The `tokentray` CLI as a person runs it: a real child process, a temp config directory, the real
// keychain (scripts/test.sh: private D-Bus + gnome-keyring, throwaway service) and each provider's
// local server. After the workflows, every file under the config directories and everything the CLI
// printed (except stdout of token/headers/exec, whose job is to print credentials) is searched for
// every secret and token value.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { ProfileConfig, ProfileStatus, TokenResponse } from '../../common/contract.js';
import { inParallel, printed, removeTempConfigDirs, runCli, tempConfigDir, tempConfigDirs } from '../support/cli.js';
import { startProviderServer, type ProviderServer, type ServerKind } from '../support/servers/index.js';
import { readFilesUnder } from '../support/temp-dir.js';

/** Commands whose stdout is the credential itself, by design. */
const CREDENTIAL_COMMANDS = new Set(['token', 'headers', 'exec']);

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
  await removeTempConfigDirs();
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
      if (c === CASES[0]) {
        const table = await runCli(['profile', 'list', '--config-dir', configDir]);
        assert.match(table.stdout, new RegExp(`^${profile.id}\\s+CLI ${c.label}\\s+${profile.provider}$`, 'm'));
      }

      const shown = await runCli(['profile', 'show', profile.id, '--config-dir', configDir]);
      assert.equal(shown.code, 0, `${tag} show: ${shown.stderr}`);
      assert.match(shown.stdout, /stored in the OS keychain/);

      const first = await runCli(['token', profile.id, '--config-dir', configDir]);
      assert.equal(first.code, 0, `${tag} token: ${first.stderr}`);
      const token = first.stdout.replace(/\n$/, '');
      assert.equal(first.stdout, `${token}\n`, `${tag} token prints the token and one newline only`);
      assert.ok(token.length > 0);
      secretValues.add(token);

      if (c === CASES[0]) {
        const json = await runCli(['token', profile.id, '--json', '--config-dir', configDir]);
        assert.equal(json.code, 0, `${tag} token --json: ${json.stderr}`);
        const response = JSON.parse(json.stdout) as TokenResponse;
        assert.equal(response.access_token, token);
        assert.equal(response.token_type.toLowerCase(), 'bearer');
        assert.ok(response.expires_in !== null && response.expires_in > 0);
      }
      const expectedRequests = profile.provider === 'sendcloud-basic' ? 0 : 1;

      const headers = await runCli(['headers', profile.id, '--config-dir', configDir]);
      assert.equal(headers.code, 0, `${tag} headers: ${headers.stderr}`);
      for (const line of headers.stdout.trimEnd().split('\n')) assert.match(line, /^[A-Za-z0-9-]+: \S.*$/, `${tag} header line`);
      assert.ok(headers.stdout.includes(token), `${tag} headers carry the credential`);
      // A second process reused the keychain-cached token: still one request upstream.
      assert.equal(server.tokenRequestCount(), expectedRequests, `${tag} token requests upstream after a second process`);
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
      if (c === CASES[0]) {
        const statusTable = await runCli(['status', '--config-dir', configDir]);
        assert.match(statusTable.stdout, /^ID\s+PROVIDER\s+STATE/m);
        assert.match(statusTable.stdout, new RegExp(`^${profile.id}\\s+${profile.provider}\\s+(fresh|expiring)`, 'm'));
      }
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
      const stored = JSON.parse(await fs.readFile(path.join(configDir, 'config.json'), 'utf8')) as { profiles: object };
      assert.deepEqual(stored.profiles, {}, `${tag} rm removed the profile from the store`);
    });
  });

  test('nothing the CLI printed (but token/headers/exec stdout) and no config file holds a secret or token', async () => {
    assert.ok(secretValues.size >= CASES.length * 2, 'the workflows collected their secrets first');
    for (const dir of tempConfigDirs()) await assertNoSecretsUnder(dir, dir);
    const all = printed
      .filter((p) => p.stream === 'stderr' || !CREDENTIAL_COMMANDS.has(p.args[0] ?? ''))
      .map((p) => p.text)
      .join('\n');
    assert.ok(all.length > 0);
    for (const value of secretValues) {
      assert.ok(!all.includes(value), `a secret or token (sha256 ${sha(value)}) appeared in CLI output`);
    }
  });
});

async function assertNoSecretsUnder(dir: string, tag: string): Promise<void> {
  const files = await readFilesUnder(dir);
  assert.ok(files.length > 0 || tag === dir, `${tag}: the config directory has files`);
  for (const { file, text } of files) {
    for (const value of secretValues) {
      assert.ok(!text.includes(value), `${tag}: a secret or token (sha256 ${sha(value)}) is in ${file}`);
    }
  }
}

function sha(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

