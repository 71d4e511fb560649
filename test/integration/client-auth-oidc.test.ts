// Client authentication with keys against a real authorization server (docs/client-auth.md):
// oidc-provider 9 over HTTPS with a private CA made by openssl, private_key_jwt (RSA PKCS#1 and
// PKCS#8, EC SEC1, Ed25519, a JWK), tls_client_auth and self_signed_tls_client_auth with
// certificate-bound tokens. The app's core runs as it does in `tokentray serve` (real file store, the
// real keychain or the encrypted file vault): tokens are obtained and refreshed again and again (the
// server refuses a reused jti, so one repeated assertion fails the test), a bound token reaches an
// HTTPS API that checks the certificate through the proxy, the relay refuses it, Test and save refuse
// each bad input, and no key material is anywhere on disk in clear.
import assert from 'node:assert/strict';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ProfileConfig, ProfileSecrets } from '../../common/contract.js';
import { createCore, type Core } from '../../main/core/app-core.js';
import { TokentrayError } from '../../main/core/errors.js';
import type { Vault } from '../../main/core/types.js';
import { openFileStore } from '../../main/node/file-store.js';
import { FileVault } from '../../main/node/file-vault.js';
import { KeytarVault, type KeytarLike } from '../../main/node/keytar-vault.js';
import { createPki, type KeyKind, type Pki } from '../support/pki.js';
import { startBoundApi, startMtlsOidc, type BoundApi, type KeyClient, type MtlsOidc } from '../support/servers/mtls-oidc.js';
import { makeTempDir, readFilesUnder, removeTempDir } from '../support/temp-dir.js';
import { httpRequest } from '../support/http.js';

const keytar = createRequire(import.meta.url)('keytar') as KeytarLike;
const service = `${process.env.TOKENTRAY_KEYCHAIN_SERVICE ?? 'tokentray-test'}-client-auth-${randomBytes(4).toString('hex')}`;
const PASS = 'client auth test passphrase with some length';

let pki: Pki;
let oidc: MtlsOidc;
let api: BoundApi;
const keys: Partial<Record<KeyKind, string>> = {};
let selfSignedCert = '';
let caSignedCert = '';

const JWT_CLIENTS: Array<{ id: string; kind: KeyKind; kid?: string; alg?: 'PS256' }> = [
  { id: 'jwt-rsa-pkcs1', kind: 'rsa-pkcs1', kid: 'rsa-1' },
  { id: 'jwt-rsa-ps256', kind: 'rsa-pkcs8', alg: 'PS256' },
  { id: 'jwt-ec-sec1', kind: 'ec-sec1' },
  { id: 'jwt-ed25519', kind: 'ed25519', kid: 'ed-1' },
  { id: 'jwt-jwk', kind: 'jwk' },
];

before(async () => {
  pki = await createPki();
  for (const kind of ['rsa-pkcs1', 'rsa-pkcs8', 'ec-sec1', 'ed25519', 'jwk'] as const) keys[kind] = await pki.key(kind);
  selfSignedCert = await pki.selfSigned('ec-sec1', 'tokentray-self-signed');
  caSignedCert = await pki.caSigned('ed25519', 'tokentray-ca-signed');
  const clients: KeyClient[] = [
    ...JWT_CLIENTS.map((c) => ({ id: c.id, method: 'private_key_jwt' as const, privateKey: keys[c.kind] as string, ...(c.kid === undefined ? {} : { kid: c.kid }) })),
    { id: 'mtls-self-signed', method: 'self_signed_tls_client_auth', privateKey: keys['ec-sec1'] as string, cert: selfSignedCert },
    { id: 'mtls-ca', method: 'tls_client_auth', privateKey: keys.ed25519 as string, cert: caSignedCert },
  ];
  oidc = await startMtlsOidc(pki, clients);
  api = await startBoundApi(pki, oidc);
});

after(async () => {
  for (const { account } of await keytar.findCredentials(service)) await keytar.deletePassword(service, account);
  await api?.close();
  await oidc?.close();
  await pki?.close();
});

function thumbprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
}

/** The base64 body lines of a PEM, or the private parts of a JWK: what must never be on disk in clear. */
function keyMaterial(text: string): string[] {
  if (text.trim().startsWith('{')) {
    const jwk = JSON.parse(text) as Record<string, string>;
    return ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((name) => jwk[name] as string).filter((v) => v !== undefined).map((v) => v.slice(0, 40));
  }
  return text.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
}

interface Call {
  status: number;
  body: string;
}

function call(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Call> {
  return httpRequest(port, path, { method, headers, ...(body === undefined ? {} : { body }) });
}

const backends: Array<{ name: 'keychain' | 'file'; open(dir: string): Promise<Vault> }> = [
  { name: 'keychain', open: async () => new KeytarVault({ service }) },
  {
    name: 'file',
    open: async (dir) => {
      const vault = new FileVault(dir, { scrypt: { N: 2 ** 10, r: 8, p: 1 }, watch: false });
      await vault.create(PASS);
      return vault;
    },
  },
];

for (const backend of backends) {
  describe(`client authentication with keys, ${backend.name} vault`, () => {
    let dir: string;
    let core: Core;
    let port: number;
    let clientKey: string;
    let vault: Vault;

    before(async () => {
      dir = await makeTempDir(`tokentray-client-auth-${backend.name}-`);
      const { store } = openFileStore(dir);
      vault = await backend.open(dir);
      core = await createCore({ store, vault, version: '9.9.9-test' });
      port = await core.start(0);
      clientKey = (await core.rpc['clients:add']({ name: 'tester', profiles: null })).key;
    });

    after(async () => {
      await core.stop();
      if (vault instanceof FileVault) vault.close();
      await removeTempDir(dir);
    });

    const base = (id: string, clientId: string, extra: Partial<ProfileConfig>): ProfileConfig => ({
      id,
      name: id,
      provider: 'oauth2',
      clientId,
      tokenUrl: oidc.tokenUrl,
      caFile: pki.caFile,
      apiUrl: api.url,
      ...extra,
    });

    for (const client of JWT_CLIENTS) {
      it(`private_key_jwt, ${client.kind}${client.alg === undefined ? '' : ` with ${client.alg}`}: three refreshes, three fresh assertions, three tokens`, async () => {
        const id = `${backend.name}-${client.id}`;
        const extra: Partial<ProfileConfig> = { authMethod: 'private_key_jwt' };
        if (client.kid !== undefined) extra.keyId = client.kid;
        if (client.alg !== undefined) extra.signingAlg = client.alg;
        await core.engine.upsertProfile(base(id, client.id, extra), { privateKey: keys[client.kind] as string });
        const issued = oidc.tokensIssued();
        const seen = new Set<string>();
        for (let round = 0; round < 3; round += 1) {
          const token = await core.engine.refresh(id);
          seen.add(token.accessToken);
          const info = await oidc.introspect(token.accessToken);
          assert.equal(info.active, true);
          assert.equal(info.client_id, client.id);
        }
        assert.equal(seen.size, 3);
        assert.equal(oidc.tokensIssued(), issued + 3, `refused: ${oidc.refusals().join('; ')}`);
      });
    }

    it('a repeated assertion would be refused: the server really checks jti (replayed by hand)', async () => {
      // What the server would say to Tokentray if it ever sent one assertion twice.
      const { clientAssertion, parsePrivateKey } = await import('../../main/core/providers/client-auth.js');
      const key = parsePrivateKey(keys['ec-sec1'] as string);
      const assertion = await clientAssertion({ clientId: 'jwt-ec-sec1', audience: oidc.tokenUrl, key, alg: 'ES256', now: Date.now() });
      const { httpsJson } = await import('../support/servers/mtls-oidc.js');
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'jwt-ec-sec1',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }).toString();
      const send = () => httpsJson(oidc.tokenUrl, pki.caPem, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      assert.equal((await send()).status, 200);
      const again = await send();
      assert.equal(again.status, 401);
      assert.equal((again.json as { error: string }).error, 'invalid_client');
    });

    for (const mtls of [
      { id: 'mtls-self-signed', method: 'self_signed_tls_client_auth' as const, kind: 'ec-sec1' as const, cert: () => selfSignedCert },
      { id: 'mtls-ca', method: 'tls_client_auth' as const, kind: 'ed25519' as const, cert: () => caSignedCert },
    ]) {
      it(`${mtls.method}: bound tokens, refreshed; the proxy reaches the API over the certificate; the relay refuses`, async () => {
        const id = `${backend.name}-${mtls.id}`;
        await core.engine.upsertProfile(base(id, mtls.id, { authMethod: mtls.method, clientCert: mtls.cert() }), { privateKey: keys[mtls.kind] as string });
        for (let round = 0; round < 2; round += 1) {
          const token = await core.engine.refresh(id);
          const info = await oidc.introspect(token.accessToken);
          assert.equal(info.active, true);
          assert.equal(info.client_id, mtls.id);
          assert.deepEqual(info.cnf, { 'x5t#S256': thumbprint(mtls.cert()) });
        }

        const auth = { authorization: `Bearer ${clientKey}` };
        const proxied = await call(port, 'GET', `/v1/proxy/${id}/orders?limit=1`, auth);
        assert.equal(proxied.status, 200, proxied.body);
        assert.deepEqual(JSON.parse(proxied.body), { ok: true, client_id: mtls.id, path: '/orders?limit=1' });
        assert.deepEqual(api.seen().at(-1), { status: 200, presented: true });

        // The same token without the certificate is refused by the API: it is really bound.
        const token = await core.engine.getToken(id);
        const { httpsJson } = await import('../support/servers/mtls-oidc.js');
        const bare = await httpsJson(`${api.url}/orders`, pki.caPem, { headers: { authorization: `Bearer ${token.accessToken}` } });
        assert.equal(bare.status, 401);

        const relayed = await call(
          port,
          'POST',
          `/v1/profiles/${id}/oauth/token`,
          { authorization: `Basic ${Buffer.from(`tester:${clientKey}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          'grant_type=client_credentials',
        );
        assert.equal(relayed.status, 400);
        const refusal = JSON.parse(relayed.body) as { error: string; error_description: string };
        assert.equal(refusal.error, 'unauthorized_client');
        assert.match(refusal.error_description, /bound to its client certificate/);
        assert.match(refusal.error_description, /cannot present that certificate/);
        assert.ok(!relayed.body.includes(token.accessToken));
      });
    }

    it('Test and save refuse each bad input, naming which, and save nothing', async () => {
      const ed = keys.ed25519 as string;
      const expired = await pki.selfSigned('ec-sec1', 'expired', { start: '20200101000000Z', end: '20200102000000Z' });
      const future = await pki.selfSigned('ec-sec1', 'future', { start: '20990101000000Z', end: '20990102000000Z' });
      const cases: Array<{ profile: ProfileConfig; secrets: ProfileSecrets; message: RegExp }> = [
        { profile: base('bad-alg', 'jwt-ed25519', { authMethod: 'private_key_jwt', signingAlg: 'RS256' }), secrets: { privateKey: ed }, message: /cannot sign with RS256: it is an Ed25519 key/ },
        { profile: base('bad-key', 'jwt-ed25519', { authMethod: 'private_key_jwt' }), secrets: { privateKey: 'not a key at all' }, message: /neither PEM nor a JWK/ },
        { profile: base('bad-match', 'mtls-self-signed', { authMethod: 'self_signed_tls_client_auth', clientCert: selfSignedCert }), secrets: { privateKey: ed }, message: /does not match the private key/ },
        { profile: base('bad-expired', 'mtls-self-signed', { authMethod: 'self_signed_tls_client_auth', clientCert: expired }), secrets: { privateKey: keys['ec-sec1'] as string }, message: /expired on 2020-01-02/ },
        { profile: base('bad-future', 'mtls-self-signed', { authMethod: 'self_signed_tls_client_auth', clientCert: future }), secrets: { privateKey: keys['ec-sec1'] as string }, message: /not valid until 2099-01-01/ },
        { profile: base('bad-ca', 'jwt-ed25519', { authMethod: 'private_key_jwt', caFile: join(pki.dir, 'missing-ca.pem') }), secrets: { privateKey: ed }, message: /The CA file .*missing-ca\.pem cannot be read \(ENOENT\)/ },
      ];
      const requests = oidc.tokenRequests();
      for (const { profile, secrets, message } of cases) {
        const tested = await core.engine.testProfile(profile, secrets);
        assert.equal(tested.ok, false);
        assert.equal(tested.error?.kind, 'config', `${profile.id}: ${tested.error?.message}`);
        assert.match(tested.error?.message ?? '', message);
        const saved = await core.engine.upsertProfile(profile, secrets).then(
          () => assert.fail(`${profile.id} was saved`),
          (error: unknown) => error,
        );
        assert.ok(saved instanceof TokentrayError && saved.kind === 'config');
        assert.match(saved.message, message);
        assert.equal(core.engine.status(profile.id), undefined);
        assert.equal(await vault.getSecret(profile.id, 'privateKey'), null);
      }
      assert.equal(oidc.tokenRequests(), requests, 'no bad input reached the server');
    });

    it('a key the server does not know: invalid_client in the server\'s words, the credential stop', async () => {
      // A key of the right type, but not the one registered for the client.
      const stranger = await pki.key('rsa-pkcs8');
      await core.engine.upsertProfile(base(`${backend.name}-stranger`, 'jwt-rsa-pkcs1', { authMethod: 'private_key_jwt', keyId: 'rsa-1' }), { privateKey: stranger });
      const error = await core.engine.refresh(`${backend.name}-stranger`).then(
        () => assert.fail('a stranger key got a token'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof TokentrayError);
      assert.equal(error.kind, 'invalid_client');
      assert.match(error.message, /The client id or key was rejected by 127\.0\.0\.1:\d+\. The server said: "invalid_client: client authentication failed"\./);
      assert.match(error.hint ?? '', /registered with the server/);
      assert.equal(core.engine.status(`${backend.name}-stranger`)?.state, 'error');
    });

    it('no key material anywhere in the config directory in clear; the vault holds the key', async () => {
      const files = await readFilesUnder(dir, 'latin1');
      assert.ok(files.some(({ file }) => file.endsWith('config.json')));
      if (backend.name === 'file') assert.ok(files.some(({ file }) => file.endsWith('vault.json')));
      const material = Object.values(keys).flatMap((text) => keyMaterial(text as string));
      assert.ok(material.length > 20);
      for (const { file, text } of files) {
        for (const part of material) assert.ok(!text.includes(part), `${file} holds key material`);
      }
      const config = await readFile(join(dir, 'config.json'), 'utf8');
      assert.ok(config.includes(JSON.stringify(selfSignedCert).slice(1, 60)), 'the certificate (public) is in config.json');
      assert.ok((await vault.getSecret(`${backend.name}-mtls-self-signed`, 'privateKey')) === keys['ec-sec1'], 'the vault holds the key');
    });
  });
}
