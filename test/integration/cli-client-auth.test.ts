// `tokentray profile add` with keys (docs/client-auth.md), as real processes against oidc-provider
// over HTTPS with a private CA: --auth-method private_key_jwt and self_signed_tls_client_auth,
// --private-key-stdin, --key-id, --signing-alg, --client-cert FILE, --ca-file FILE; tokens on both
// vault backends, `vault migrate` moving the key, exit 4 with the server's words for a key it does not
// know, exit 2 and nothing saved for each bad input, and no key material in any output or file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KeytarLike } from '../../main/node/keytar-vault.js';
import { printed, removeTempConfigDirs, runCli, tempConfigDir } from '../support/cli.js';
import { createPki, type Pki } from '../support/pki.js';
import { startMtlsOidc, type MtlsOidc } from '../support/servers/mtls-oidc.js';

const keytar = createRequire(import.meta.url)('keytar') as KeytarLike;
const service = `${process.env.TOKENTRAY_KEYCHAIN_SERVICE ?? 'tokentray-test'}-cli-keys-${randomBytes(4).toString('hex')}`;
const PASS = 'a long passphrase for the client key cli test';

let pki: Pki;
let oidc: MtlsOidc;
let ecKey = '';
let edKey = '';
let certFile = '';

before(async () => {
  pki = await createPki();
  ecKey = await pki.key('ec-sec1');
  edKey = await pki.key('ed25519');
  const cert = await pki.selfSigned('ec-sec1', 'cli-self-signed');
  certFile = await pki.write('client-cert.pem', cert);
  oidc = await startMtlsOidc(pki, [
    { id: 'cli-jwt', method: 'private_key_jwt', privateKey: ecKey, kid: 'cli-1' },
    { id: 'cli-mtls', method: 'self_signed_tls_client_auth', privateKey: ecKey, cert },
  ]);
});

after(async () => {
  for (const { account } of await keytar.findCredentials(service)) await keytar.deletePassword(service, account);
  await oidc?.close();
  await pki?.close();
  await removeTempConfigDirs();
});

const envs = {
  file: { TOKENTRAY_VAULT: 'file', TOKENTRAY_VAULT_PASSPHRASE: PASS },
  keychain: { TOKENTRAY_VAULT: 'keychain', TOKENTRAY_KEYCHAIN_SERVICE: service },
} as const;

function keyMaterial(pem: string): string[] {
  return pem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

const jwtArgs = (id: string, dir: string): string[] => [
  'profile', 'add', id, '--provider', 'oauth2', '--client-id', 'cli-jwt', '--token-url', oidc.tokenUrl,
  '--auth-method', 'private_key_jwt', '--key-id', 'cli-1', '--ca-file', pki.caFile, '--private-key-stdin', '--config-dir', dir,
];
const mtlsArgs = (id: string, dir: string): string[] => [
  'profile', 'add', id, '--provider', 'camunda-operate-identity', '--client-id', 'cli-mtls', '--token-url', oidc.tokenUrl,
  '--auth-method', 'self_signed_tls_client_auth', '--client-cert', certFile, '--ca-file', pki.caFile, '--private-key-stdin', '--config-dir', dir,
];

for (const backend of ['file', 'keychain'] as const) {
  describe(`tokentray with keys, ${backend} vault`, () => {
    it('private_key_jwt (oauth2) and self_signed_tls_client_auth (camunda-operate-identity): added, tokens printed, key only in the vault', async () => {
      const dir = await tempConfigDir();
      const env = envs[backend];
      const jwt = await runCli(jwtArgs('jwt', dir), { stdin: ecKey, env });
      assert.equal(jwt.code, 0, jwt.stderr);
      const mtls = await runCli(mtlsArgs('mtls', dir), { stdin: `${ecKey}\n`, env });
      assert.equal(mtls.code, 0, mtls.stderr);

      for (const [id, client] of [['jwt', 'cli-jwt'], ['mtls', 'cli-mtls']] as const) {
        const token = await runCli(['token', id, '--config-dir', dir], { env });
        assert.equal(token.code, 0, token.stderr);
        const info = await oidc.introspect(token.stdout.trim());
        assert.equal(info.active, true);
        assert.equal(info.client_id, client);
        if (id === 'mtls') assert.ok(typeof (info.cnf as Record<string, unknown>)['x5t#S256'] === 'string');
      }

      const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { profiles: Record<string, Record<string, unknown>> };
      const mtlsProfile = config.profiles.mtls;
      assert.equal(mtlsProfile?.caFile, pki.caFile);
      assert.equal(mtlsProfile?.authMethod, 'self_signed_tls_client_auth');
      assert.match(String(mtlsProfile?.clientCert), /BEGIN CERTIFICATE/);

      const shown = await runCli(['profile', 'show', 'jwt', '--config-dir', dir], { env });
      assert.match(shown.stdout, /privateKey\s+stored in/);

      for (const file of await filesUnder(dir)) {
        const text = await readFile(file, 'latin1');
        for (const part of keyMaterial(ecKey)) assert.ok(!text.includes(part), `${file} holds key material`);
      }
      // stdin loses one trailing newline, as every secret read there does; compared without printing the key.
      if (backend === 'keychain') assert.ok((await keytar.getPassword(service, 'jwt:privateKey')) === ecKey.replace(/\n$/, ''), 'the keychain holds the key');
    });

    it('a key the server does not know: exit 4 with the server\'s words', async () => {
      const dir = await tempConfigDir();
      const env = envs[backend];
      const added = await runCli(jwtArgs('stranger', dir), { stdin: edKey, env });
      assert.equal(added.code, 0, added.stderr);
      const token = await runCli(['token', 'stranger', '--config-dir', dir], { env });
      assert.equal(token.code, 4, token.stderr);
      assert.equal(token.stdout, '');
      assert.match(token.stderr, /The client id or key was rejected by 127\.0\.0\.1:\d+\. The server said: "invalid_client: client authentication failed"/);
    });
  });
}

describe('tokentray with keys: bad input', () => {
  it('each bad input is exit 2 with words naming which, and nothing is saved', async () => {
    const dir = await tempConfigDir();
    const env = envs.file;
    const expired = await pki.write('expired.pem', await pki.selfSigned('ec-sec1', 'expired', { start: '20200101000000Z', end: '20200102000000Z' }));
    const future = await pki.write('future.pem', await pki.selfSigned('ec-sec1', 'future', { start: '20990101000000Z', end: '20990102000000Z' }));
    const cases: Array<{ args: string[]; stdin: string; message: RegExp }> = [
      { args: [...jwtArgs('p1', dir), '--signing-alg', 'RS256'], stdin: ecKey, message: /cannot sign with RS256: it is an EC key \(P-256\)/ },
      { args: jwtArgs('p2', dir), stdin: 'not a key', message: /neither PEM nor a JWK/ },
      { args: mtlsArgs('p3', dir), stdin: edKey, message: /client certificate does not match the private key/ },
      { args: mtlsArgs('p4', dir).map((a) => (a === certFile ? expired : a)), stdin: ecKey, message: /client certificate expired on 2020-01-02/ },
      { args: mtlsArgs('p5', dir).map((a) => (a === certFile ? future : a)), stdin: ecKey, message: /not valid until 2099-01-01/ },
      { args: jwtArgs('p6', dir).map((a) => (a === pki.caFile ? join(pki.dir, 'no-such-ca.pem') : a)), stdin: ecKey, message: /The CA file .*no-such-ca\.pem cannot be read \(ENOENT\)/ },
      { args: mtlsArgs('p7', dir).map((a) => (a === certFile ? join(pki.dir, 'no-such-cert.pem') : a)), stdin: ecKey, message: /--client-cert .*no-such-cert\.pem cannot be read \(ENOENT\)/ },
      { args: jwtArgs('p8', dir).filter((a) => a !== '--private-key-stdin'), stdin: ecKey, message: /needs the private key on stdin/ },
      { args: [...jwtArgs('p9', dir), '--secret-stdin'], stdin: ecKey, message: /both read stdin/ },
      { args: jwtArgs('p10', dir).map((a) => (a === 'oauth2' ? 'redpanda' : a)), stdin: ecKey, message: /offered by the oauth2 and camunda-operate-identity providers only/ },
      { args: [...jwtArgs('p11', dir), '--signing-alg', 'HS256'], stdin: ecKey, message: /signingAlg/ },
      { args: [...mtlsArgs('p12', dir), '--key-id', 'k'], stdin: ecKey, message: /Key ID \(kid\) goes with client authentication private_key_jwt/ },
    ];
    const requests = oidc.tokenRequests();
    for (const { args, stdin, message } of cases) {
      const result = await runCli(args, { stdin, env });
      assert.equal(result.code, 2, `${args[2]}: ${result.stderr}`);
      assert.match(result.stderr, message, args[2]);
      for (const part of keyMaterial(ecKey)) assert.ok(!result.stderr.includes(part));
    }
    const list = await runCli(['profile', 'list', '--json', '--config-dir', dir], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), []);
    const vault = await runCli(['vault', 'status', '--json', '--config-dir', dir], { env });
    const entries = (JSON.parse(vault.stdout) as { entries: number | null }).entries;
    assert.ok(entries === null || entries === 0 || entries === 1, `the vault holds only the CLI's own key at most: ${vault.stdout}`);
    assert.equal(oidc.tokenRequests(), requests, 'no bad input reached the server');
  });

  it('vault migrate moves the private key; the profile still gets tokens', async () => {
    const dir = await tempConfigDir();
    const added = await runCli(jwtArgs('moving', dir), { stdin: ecKey, env: envs.file });
    assert.equal(added.code, 0, added.stderr);
    const moved = await runCli(['vault', 'migrate', '--to', 'keychain', '--config-dir', dir], { env: { ...envs.file, TOKENTRAY_KEYCHAIN_SERVICE: service } });
    assert.equal(moved.code, 0, moved.stderr);
    assert.ok((await keytar.getPassword(service, 'moving:privateKey')) === ecKey.replace(/\n$/, ''), 'the key moved to the keychain');
    const before = oidc.tokensIssued();
    const refreshed = await runCli(['token', 'moving', '--config-dir', dir], { env: { TOKENTRAY_VAULT: 'keychain', TOKENTRAY_KEYCHAIN_SERVICE: service } });
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.equal(oidc.tokensIssued(), before + 1);
  });

  it('nothing any run printed holds key material', () => {
    const material = [...keyMaterial(ecKey), ...keyMaterial(edKey)];
    for (const output of printed) for (const part of material) assert.ok(!output.text.includes(part), `${output.args.slice(0, 3).join(' ')} printed key material`);
  });
});
