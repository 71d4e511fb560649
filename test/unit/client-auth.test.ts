// The pieces of client authentication with keys (docs/client-auth.md), on keys and certificates made
// by openssl: every key form is read, each algorithm is chosen from the key or refused with the key's
// type named, a client assertion carries exactly the claims RFC 7523 asks for and verifies with the
// public key, and a certificate is checked against its key and its dates. No message holds key text.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { ProfileConfig } from '../../common/contract.js';
import { TokentrayError } from '../../main/core/errors.js';
import {
  checkClientAuth,
  checkClientCertificate,
  clientAssertion,
  parsePrivateKey,
  signingAlgFor,
} from '../../main/core/providers/client-auth.js';
import { createPki, type KeyKind, type Pki } from '../support/pki.js';

let pki: Pki;
before(async () => {
  pki = await createPki();
});
after(async () => {
  await pki.close();
});

/** The base64 body of a PEM or the "d" of a JWK: what must never appear in a message. */
function keyMaterial(text: string): string[] {
  if (text.trim().startsWith('{')) return [(JSON.parse(text) as { d: string }).d];
  return text.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
}

async function refusal(work: () => unknown): Promise<TokentrayError> {
  try {
    await work();
  } catch (error) {
    assert.ok(error instanceof TokentrayError, String(error));
    return error;
  }
  return assert.fail('expected a refusal');
}

describe('private keys', () => {
  const forms: Array<[KeyKind, string, string]> = [
    ['rsa-pkcs1', 'rsa', 'RS256'],
    ['rsa-pkcs8', 'rsa', 'RS256'],
    ['ec-sec1', 'ec', 'ES256'],
    ['ed25519', 'ed25519', 'EdDSA'],
    ['jwk', 'rsa', 'RS256'],
  ];
  for (const [kind, type, alg] of forms) {
    it(`${kind}: read, and signs with ${alg} by default`, async () => {
      const text = await pki.key(kind);
      if (kind === 'rsa-pkcs1') assert.match(text, /BEGIN RSA PRIVATE KEY/);
      if (kind === 'ec-sec1') assert.match(text, /BEGIN EC PRIVATE KEY/);
      const key = parsePrivateKey(text);
      assert.equal(key.asymmetricKeyType, type);
      assert.equal(signingAlgFor(key, undefined), alg);
    });
  }

  it('PS256 is taken for an RSA key; an algorithm the key cannot use is refused, naming the key type', async () => {
    const rsa = parsePrivateKey(await pki.key('rsa-pkcs8'));
    assert.equal(signingAlgFor(rsa, 'PS256'), 'PS256');
    const ed = parsePrivateKey(await pki.key('ed25519'));
    const wrong = await refusal(() => signingAlgFor(ed, 'RS256'));
    assert.equal(wrong.kind, 'config');
    assert.match(wrong.message, /cannot sign with RS256: it is an Ed25519 key/);
    assert.match(wrong.hint ?? '', /EdDSA/);
    const p384 = parsePrivateKey(await pki.key('ec-p384'));
    assert.match((await refusal(() => signingAlgFor(p384, undefined))).message, /cannot sign a client assertion: it is an EC key \(P-384\)/);
    const small = parsePrivateKey(await pki.key('rsa-1024'));
    assert.match((await refusal(() => signingAlgFor(small, 'RS256'))).message, /RSA key \(1024 bits\)/);
  });

  it('what is not a private key is refused in words that hold none of it', async () => {
    const pem = await pki.key('rsa-pkcs8');
    const publicPem = createPublicKey(pem).export({ format: 'pem', type: 'spki' }).toString();
    const publicJwk = JSON.stringify(createPublicKey(pem).export({ format: 'jwk' }));
    const broken = pem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!!!!!!!!!!!!!!!!!');
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['my secret words', /neither PEM nor a JWK/],
      [publicPem, /public key or a certificate/],
      [publicJwk, /public key \(it has no "d"\)/],
      ['{"kty":"RSA",', /not valid JSON/],
      [broken, /could not be read/],
      ['-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----', /encrypted with a passphrase/],
    ];
    for (const [text, message] of cases) {
      const error = await refusal(() => parsePrivateKey(text));
      assert.equal(error.kind, 'config');
      assert.match(error.message, message);
      for (const material of keyMaterial(pem)) assert.ok(!`${error.message} ${error.hint}`.includes(material));
    }
  });
});

describe('client assertions (RFC 7523 section 3)', () => {
  for (const kind of ['rsa-pkcs1', 'ec-sec1', 'ed25519', 'jwk'] as const) {
    it(`${kind}: iss = sub = client id, aud, a unique jti, iat and exp 60 s later, kid; verifies with the public key`, async () => {
      const text = await pki.key(kind);
      const key = parsePrivateKey(text);
      const alg = signingAlgFor(key, undefined);
      const now = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
      const input = { clientId: 'client-1', audience: 'https://idp.test/token', key, alg, keyId: 'k-1', now };
      const first = await clientAssertion(input);
      const second = await clientAssertion(input);
      assert.notEqual(first, second);
      const publicKey = createPublicKey(key);
      const { payload, protectedHeader } = await jwtVerify(first, publicKey, { currentDate: new Date(now) });
      assert.deepEqual(protectedHeader, { alg, kid: 'k-1' });
      assert.equal(payload.iss, 'client-1');
      assert.equal(payload.sub, 'client-1');
      assert.equal(payload.aud, 'https://idp.test/token');
      assert.equal(payload.iat, Math.floor(now / 1000));
      assert.equal(payload.exp, Math.floor(now / 1000) + 60);
      const other = (await jwtVerify(second, publicKey, { currentDate: new Date(now) })).payload;
      assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 16 && payload.jti !== other.jti);
      const withoutKid = await clientAssertion({ ...input, keyId: undefined });
      assert.deepEqual(decodeProtectedHeader(withoutKid), { alg });
    });
  }
});

describe('client certificates and the save/Test checks', () => {
  const profile = (extra: Partial<ProfileConfig>): ProfileConfig => ({
    id: 'p',
    name: 'p',
    provider: 'oauth2',
    clientId: 'c',
    tokenUrl: 'https://idp.test/token',
    ...extra,
  });

  it('a matching, valid certificate passes; another key, an expired and a future certificate are each named', async () => {
    const now = Date.now();
    const ec = await pki.key('ec-sec1');
    const key = parsePrivateKey(ec);
    checkClientCertificate(await pki.selfSigned('ec-sec1', 'good'), key, now);
    const other = await pki.selfSigned('ed25519', 'other');
    assert.match((await refusal(() => checkClientCertificate(other, key, now))).message, /does not match the private key/);
    const expired = await pki.selfSigned('ec-sec1', 'old', { start: '20200101000000Z', end: '20200102000000Z' });
    assert.match((await refusal(() => checkClientCertificate(expired, key, now))).message, /expired on 2020-01-02T00:00:00.000Z/);
    const future = await pki.selfSigned('ec-sec1', 'future', { start: '20990101000000Z', end: '20990102000000Z' });
    assert.match((await refusal(() => checkClientCertificate(future, key, now))).message, /not valid until 2099-01-01/);
    assert.match((await refusal(() => checkClientCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', key, now))).message, /not a readable PEM certificate/);
  });

  it('checkClientAuth: each bad input a config error naming which; good ones pass', async () => {
    const now = Date.now();
    const ed = await pki.key('ed25519');
    await checkClientAuth(profile({ authMethod: 'private_key_jwt' }), { privateKey: ed }, now);
    await checkClientAuth(profile({ caFile: pki.caFile }), {}, now);
    const cases: Array<[ProfileConfig, string | undefined, RegExp]> = [
      [profile({ authMethod: 'private_key_jwt', signingAlg: 'ES256' }), ed, /cannot sign with ES256: it is an Ed25519 key/],
      [profile({ authMethod: 'private_key_jwt' }), undefined, /privateKey: Private key is required/],
      [profile({ authMethod: 'self_signed_tls_client_auth', clientCert: await pki.selfSigned('rsa-pkcs8', 'x') }), ed, /does not match the private key/],
      [profile({ authMethod: 'tls_client_auth', tokenUrl: 'http://idp.test/token', clientCert: await pki.selfSigned('ed25519', 'x') }), ed, /needs an https:\/\/ token URL/],
      [profile({ caFile: '/nonexistent/ca.pem' }), undefined, /The CA file \/nonexistent\/ca.pem cannot be read \(ENOENT\)/],
      [profile({ caFile: await pki.write('not-ca.pem', 'hello') }), undefined, /holds no PEM certificate/],
    ];
    for (const [input, privateKey, message] of cases) {
      const error = await refusal(() => checkClientAuth(input, privateKey === undefined ? {} : { privateKey }, now));
      assert.equal(error.kind, 'config', error.message);
      assert.match(error.message, message);
      for (const material of keyMaterial(ed)) assert.ok(!error.message.includes(material));
    }
  });
});
