// A real authorization server for client authentication with keys: oidc-provider 9 over HTTPS (a
// certificate from the test's private CA) with private_key_jwt, tls_client_auth and
// self_signed_tls_client_auth, and certificate-bound access tokens (RFC 8705). It refuses a reused
// assertion jti, as oidc-provider's replay detection does. Beside it, an HTTPS API that accepts a
// token only from the client certificate the token is bound to (introspection's cnf x5t#S256).
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import Provider, { type ClientMetadata } from 'oidc-provider';
import type { Pki } from '../pki.js';

const INTROSPECTOR = { id: 'introspector', secret: 'introspector-secret-0123456789' };

export interface KeyClient {
  id: string;
  method: 'private_key_jwt' | 'tls_client_auth' | 'self_signed_tls_client_auth';
  /** The client's private key (PEM or JWK text): its public half is registered. */
  privateKey: string;
  /** For the TLS methods: the certificate registered (self-signed) or whose subject is (CA-signed). */
  cert?: string;
  kid?: string;
}

export interface MtlsOidc {
  issuer: string;
  tokenUrl: string;
  /** POST /token requests received, and how many the server answered with an access token. */
  tokenRequests(): number;
  tokensIssued(): number;
  /** The error descriptions the server answered with, newest last. */
  refusals(): string[];
  introspect(token: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

function publicJwk(privateKey: string, kid: string | undefined): Record<string, unknown> {
  const key = privateKey.trim().startsWith('{')
    ? createPublicKey({ key: JSON.parse(privateKey) as never, format: 'jwk' })
    : createPublicKey(privateKey);
  const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
  return kid === undefined ? jwk : { ...jwk, kid };
}

function derBase64(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64');
}

function peerCertificate(req: IncomingMessage): X509Certificate | undefined {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.(false);
  return peer === undefined || peer === null || peer.raw === undefined ? undefined : new X509Certificate(peer.raw);
}

export async function startMtlsOidc(pki: Pki, clients: readonly KeyClient[]): Promise<MtlsOidc> {
  const server: Server = createServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.caPem, requestCert: true, rejectUnauthorized: false });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const metadata: ClientMetadata[] = clients.map((client) => {
    const base: ClientMetadata = {
      client_id: client.id,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: client.method,
      tls_client_certificate_bound_access_tokens: client.method !== 'private_key_jwt',
    };
    if (client.method === 'tls_client_auth') return { ...base, tls_client_auth_subject_dn: new X509Certificate(client.cert as string).subject };
    const jwk = publicJwk(client.privateKey, client.kid);
    return { ...base, jwks: { keys: [client.method === 'self_signed_tls_client_auth' ? { ...jwk, x5c: [derBase64(client.cert as string)] } : jwk] } };
  });
  const provider = new Provider(issuer, {
    clients: [
      ...metadata,
      {
        client_id: INTROSPECTOR.id,
        client_secret: INTROSPECTOR.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    clientAuthMethods: ['client_secret_basic', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'],
    enabledJWA: { clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] },
    ttl: { ClientCredentials: 600 },
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      devInteractions: { enabled: false },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        selfSignedTlsClientAuth: true,
        tlsClientAuth: true,
        getCertificate: (ctx: { req: IncomingMessage }) => peerCertificate(ctx.req),
        certificateAuthorized: (ctx: { req: IncomingMessage }) => (ctx.req.socket as TLSSocket).authorized,
        certificateSubjectMatches: (ctx: { req: IncomingMessage }, property: string, expected: string) =>
          property === 'tls_client_auth_subject_dn' && peerCertificate(ctx.req)?.subject === expected,
      },
    },
  });
  let tokenRequests = 0;
  let issued = 0;
  const refusals: string[] = [];
  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && req.url === '/token') {
      tokenRequests += 1;
      // Record what the server answered, to tell a refused assertion from a network failure.
      const chunks: Buffer[] = [];
      const write = res.write.bind(res);
      const end = res.end.bind(res);
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as Buffer));
        return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof res.write;
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as Buffer));
        try {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { access_token?: string; error_description?: string };
          if (typeof answer.access_token === 'string') issued += 1;
          else if (typeof answer.error_description === 'string') refusals.push(answer.error_description);
        } catch {
          // Not JSON: nothing to record.
        }
        return (end as (...args: unknown[]) => ServerResponse)(chunk, ...rest);
      }) as typeof res.end;
    }
    void callback(req, res);
  });
  const introspect = async (token: string): Promise<Record<string, unknown>> => {
    const body = new URLSearchParams({ token }).toString();
    const answer = await httpsJson(`${issuer}/token/introspection`, pki.caPem, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${INTROSPECTOR.id}:${INTROSPECTOR.secret}`).toString('base64')}`,
      },
      body,
    });
    if (answer.status !== 200) throw new Error(`introspection answered ${answer.status}`);
    return answer.json as Record<string, unknown>;
  };
  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    tokenRequests: () => tokenRequests,
    tokensIssued: () => issued,
    refusals: () => [...refusals],
    introspect,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One HTTPS request trusting only the given CA (the test's own client, independent of Tokentray's). */
export function httpsJson(
  url: string,
  ca: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; cert?: string; key?: string } = {},
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ca, agent: false, ...(init.cert === undefined ? {} : { cert: init.cert, key: init.key }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = text;
        try {
          json = JSON.parse(text);
        } catch {
          // Left as text.
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export interface BoundApi {
  url: string;
  /** What each request presented and was answered. */
  seen(): Array<{ status: number; presented: boolean }>;
  close(): Promise<void>;
}

/**
 * An API that takes a Bearer token only from the client certificate it is bound to: it asks the
 * authorization server (introspection) for the token's cnf x5t#S256 and compares it with the SHA-256
 * of the certificate the caller presented on this connection (RFC 8705 section 3).
 */
export async function startBoundApi(pki: Pki, oidc: MtlsOidc): Promise<BoundApi> {
  const seen: Array<{ status: number; presented: boolean }> = [];
  const server = createServer({ key: pki.server.key, cert: pki.server.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    void (async () => {
      const peer = peerCertificate(req);
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      let status = 401;
      let body: Record<string, unknown> = { error: 'invalid_token' };
      if (token !== undefined) {
        const info = await oidc.introspect(token);
        const bound = (info.cnf as Record<string, unknown> | undefined)?.['x5t#S256'];
        const presented = peer === undefined ? undefined : createHash('sha256').update(peer.raw).digest('base64url');
        if (info.active === true && typeof bound === 'string' && bound === presented) {
          status = 200;
          body = { ok: true, client_id: info.client_id, path: req.url };
        } else {
          body = { error: 'invalid_token', error_description: peer === undefined ? 'no client certificate' : 'the certificate is not the one the token is bound to' };
        }
      }
      seen.push({ status, presented: peer !== undefined });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen: () => [...seen],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
