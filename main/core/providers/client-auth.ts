// Client authentication with keys instead of a shared secret (docs/client-auth.md): the private key
// (PEM or a private JWK), the signed client assertion of private_key_jwt (RFC 7523 section 2.2,
// OpenID Connect Core section 9), the TLS material of mutual TLS (RFC 8705), and the checks made when
// a profile is saved or tested. No message here ever carries key material: keys are named by type.
import { createPrivateKey, randomUUID, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SignJWT } from 'jose';
import type { ProfileConfig, ProfileSecrets } from '../../../common/contract.js';
import { authMethodOf, isKeyAuthMethod, isTlsAuthMethod, SIGNING_ALGS, type SigningAlg } from '../../../common/providers.js';
import { TokentrayError } from '../errors.js';
import type { ClientTls } from '../types.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** RFC 7523 section 3 asks for a short lifetime; servers such as Keycloak refuse long ones. */
export const ASSERTION_LIFETIME_SEC = 60;

const KEY_HINT = 'Give the private key as PEM (PKCS#8 "BEGIN PRIVATE KEY", PKCS#1 "BEGIN RSA PRIVATE KEY" or SEC1 "BEGIN EC PRIVATE KEY") without a passphrase, or as a private JWK (with "d").';

// Each check names the form field it is about, so the dashboard shows the refusal beside it.
function keyError(message: string, hint = KEY_HINT, field = 'privateKey'): TokentrayError {
  return new TokentrayError('config', message, { hint, field });
}

/** The private key as a KeyObject. Throws a config error that says what is wrong, never what the key is. */
export function parsePrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed === '') throw keyError('The private key is empty.');
  if (trimmed.startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(trimmed);
    } catch {
      throw keyError('The private key looks like a JWK but is not valid JSON.');
    }
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw keyError('The private key JWK is not a JSON object.');
    if (typeof (jwk as { d?: unknown }).d !== 'string') throw keyError('The JWK is a public key (it has no "d"); a private key is needed to sign.');
    try {
      return createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      throw keyError('The private key JWK could not be read (an unsupported "kty" or "crv", or a damaged value).');
    }
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(trimmed)) {
    throw keyError('The private key is encrypted with a passphrase.', 'Give it unencrypted (e.g. `openssl pkey -in key.pem -out plain.pem`); the vault keeps it encrypted.');
  }
  if (/-----BEGIN (RSA |EC )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(trimmed) && !/PRIVATE KEY-----/.test(trimmed)) {
    throw keyError('That is a public key or a certificate, not a private key.');
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(trimmed)) throw keyError('The private key is neither PEM nor a JWK.');
  try {
    return createPrivateKey(trimmed);
  } catch {
    throw keyError('The private key PEM could not be read (damaged, or of a type that cannot sign).');
  }
}

/** The key's type in words, for messages: "an RSA key (2048 bits)", "an EC key (P-384)". */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return `an ${key.asymmetricKeyType === 'rsa' ? 'RSA' : 'RSA-PSS'} key (${details.modulusLength ?? '?'} bits)`;
    case 'ec':
      return `an EC key (${curveName(details.namedCurve)})`;
    case 'ed25519':
      return 'an Ed25519 key';
    default:
      return `a key of type ${key.asymmetricKeyType ?? 'unknown'}`;
  }
}

function curveName(curve: string | undefined): string {
  if (curve === 'prime256v1') return 'P-256';
  if (curve === 'secp384r1') return 'P-384';
  if (curve === 'secp521r1') return 'P-521';
  return curve ?? 'unknown curve';
}

/** The algorithms a key can sign with; the first is its default. */
function algorithmsFor(key: KeyObject): readonly SigningAlg[] {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      // jose (and RFC 7518 section 3.3) refuse RSA keys under 2048 bits.
      return (details.modulusLength ?? 0) >= 2048 ? ['RS256', 'PS256'] : [];
    case 'rsa-pss':
      return (details.modulusLength ?? 0) >= 2048 ? ['PS256'] : [];
    case 'ec':
      return details.namedCurve === 'prime256v1' ? ['ES256'] : [];
    case 'ed25519':
      return ['EdDSA'];
    default:
      return [];
  }
}

/** The algorithm to sign with: the profile's choice if the key can use it, else the key's default. */
export function signingAlgFor(key: KeyObject, chosen: SigningAlg | undefined): SigningAlg {
  const usable = algorithmsFor(key);
  if (usable.length === 0) {
    throw keyError(
      `The private key cannot sign a client assertion: it is ${describeKey(key)}.`,
      `Use an RSA key of 2048 bits or more, an EC P-256 key or an Ed25519 key (${SIGNING_ALGS.join(', ')}).`,
    );
  }
  if (chosen === undefined) return usable[0] as SigningAlg;
  if (!usable.includes(chosen)) {
    throw keyError(`The private key cannot sign with ${chosen}: it is ${describeKey(key)}.`, `Choose ${usable.join(' or ')} as the signing algorithm, or leave it out to use the key's default.`, 'signingAlg');
  }
  return chosen;
}

export interface AssertionInput {
  clientId: string;
  audience: string;
  key: KeyObject;
  alg: SigningAlg;
  keyId?: string | undefined;
  /** Epoch ms (the engine's clock). */
  now: number;
}

/**
 * A fresh client assertion: iss = sub = the client id, aud the token URL (or the profile's
 * assertion audience), a unique jti so a server that refuses replays accepts each one once.
 */
export function clientAssertion(input: AssertionInput): Promise<string> {
  const iat = Math.floor(input.now / 1000);
  return new SignJWT({})
    .setProtectedHeader(input.keyId === undefined ? { alg: input.alg } : { alg: input.alg, kid: input.keyId })
    .setIssuer(input.clientId)
    .setSubject(input.clientId)
    .setAudience(input.audience)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_SEC)
    .sign(input.key);
}

const NOT_BEFORE_SKEW_MS = 5 * 60_000;

/** The first certificate of a PEM text, or a config error naming which PEM is broken. */
function parseCertificate(pem: string, what: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new TokentrayError('config', `The ${what} is not a readable PEM certificate.`, {
      hint: 'Give the PEM text that starts with -----BEGIN CERTIFICATE-----.',
      field,
    });
  }
}

/** The client certificate: readable, made for this key, and valid now. */
export function checkClientCertificate(pem: string, key: KeyObject, now: number): X509Certificate {
  const cert = parseCertificate(pem, 'client certificate', 'clientCert');
  if (!cert.checkPrivateKey(key)) {
    throw new TokentrayError('config', 'The client certificate does not match the private key.', {
      hint: 'Give the certificate issued for this key, or the key the certificate was issued for.',
      field: 'clientCert',
    });
  }
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (Number.isFinite(to) && now > to) {
    throw new TokentrayError('config', `The client certificate expired on ${new Date(to).toISOString()}.`, {
      hint: 'Issue a new certificate for the key (and register it with the server), then save the profile again.',
      field: 'clientCert',
    });
  }
  // A certificate issued a moment ago on a machine whose clock is a little ahead is not refused.
  if (Number.isFinite(from) && now + NOT_BEFORE_SKEW_MS < from) {
    throw new TokentrayError('config', `The client certificate is not valid until ${new Date(from).toISOString()}.`, {
      hint: "Check this computer's clock, or use a certificate that is valid now.",
      field: 'clientCert',
    });
  }
  return cert;
}

/** Reads the CA bundle when it is used, so a renewed file is picked up without editing the profile. */
export async function readCaFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new TokentrayError('config', `The CA file ${path} cannot be read (${code}).`, {
      hint: 'Check the path and its permissions, or remove the CA file from the profile to trust the system CAs.',
      field: 'caFile',
    });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new TokentrayError('config', `The CA file ${path} holds no PEM certificate.`, {
      hint: 'Give a file of one or more -----BEGIN CERTIFICATE----- blocks.',
      field: 'caFile',
    });
  }
  parseCertificate(text, `first certificate in the CA file ${path}`, 'caFile');
  return text;
}

/** The key a profile authenticates with, or a missing_secret error when none is stored. */
export function privateKeyOf(secrets: ProfileSecrets): KeyObject {
  if (secrets.privateKey === undefined || secrets.privateKey === '') {
    throw new TokentrayError('missing_secret', 'No private key is stored for this profile.', {
      hint: 'Enter the private key again (dashboard, or tokentray profile add … --private-key-stdin).',
    });
  }
  return parsePrivateKey(secrets.privateKey);
}

/**
 * What the TLS connections of a profile present and trust: its certificate and key when it
 * authenticates with mutual TLS, its CA bundle when it names one; null when it needs neither.
 */
export async function clientTlsOf(profile: ProfileConfig, secrets: ProfileSecrets): Promise<ClientTls | null> {
  const tls: ClientTls = {};
  if (presentsCertificate(profile)) {
    tls.cert = profile.clientCert;
    tls.key = privateKeyOf(secrets);
  }
  if (profile.caFile !== undefined && profile.caFile !== '') tls.ca = await readCaFile(profile.caFile);
  return tls.cert === undefined && tls.ca === undefined ? null : tls;
}

/** Whether clientTlsOf has anything to read for this profile: callers on a hot path skip it when not. */
export function needsClientTls(profile: ProfileConfig): boolean {
  return presentsCertificate(profile) || (profile.caFile !== undefined && profile.caFile !== '');
}

function presentsCertificate(profile: ProfileConfig): boolean {
  return isTlsAuthMethod(authMethodOf(profile)) && profile.clientCert !== undefined;
}

/**
 * The checks made when a profile is saved and when it is tested: a key that cannot sign (with the
 * chosen algorithm), a certificate that does not match its key or is not valid now, an unreadable CA
 * file. Each is a config error naming which; none sends anything anywhere.
 */
export async function checkClientAuth(profile: ProfileConfig, secrets: ProfileSecrets, now: number): Promise<void> {
  const method = authMethodOf(profile);
  if (isKeyAuthMethod(method)) {
    if (secrets.privateKey === undefined || secrets.privateKey === '') {
      throw new TokentrayError('config', `The profile is not valid:\nprivateKey: Private key is required for ${method}`, {
        hint: 'Nothing was saved. Give the private key (--private-key-stdin, or paste it in the form).',
      });
    }
    const key = parsePrivateKey(secrets.privateKey);
    if (method === 'private_key_jwt') {
      const alg = signingAlgFor(key, profile.signingAlg);
      // A real signature, so a key the checks above let through but the signer refuses is caught now.
      try {
        await clientAssertion({ clientId: profile.clientId ?? 'check', audience: 'https://check.invalid/', key, alg, now });
      } catch {
        throw keyError(`The private key (${describeKey(key)}) could not sign with ${alg}.`);
      }
    } else {
      if (profile.tokenUrl !== undefined && !profile.tokenUrl.trim().toLowerCase().startsWith('https:')) {
        throw new TokentrayError('config', `${method} needs an https:// token URL: a client certificate is presented only over TLS.`, {
          hint: 'Nothing was saved. Use the https:// address of the token endpoint.',
        });
      }
      if (profile.clientCert === undefined) {
        throw new TokentrayError('config', `The profile is not valid:\nclientCert: Client certificate is required for ${method}`, {
          hint: 'Nothing was saved. Give the certificate with --client-cert FILE, or paste it in the form.',
        });
      }
      checkClientCertificate(profile.clientCert, key, now);
    }
  }
  if (profile.caFile !== undefined && profile.caFile !== '') await readCaFile(profile.caFile);
}
