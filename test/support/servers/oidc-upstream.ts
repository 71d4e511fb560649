// A real OAuth 2.0 authorization server (oidc-provider 9) with client credentials and introspection,
// as the upstream of a profile; it counts the token requests it receives, so tests can prove that
// the relay and the cache spend none while a token is valid.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const UPSTREAM_CLIENT = { id: 'upstream-client', secret: 'upstream secret &+%/ with spaces', scope: 'api:read' };
const INTROSPECTOR = { id: 'introspector', secret: 'introspector-secret-0123456789' };

export interface OidcUpstream {
  issuer: string;
  tokenUrl: string;
  /** POST /token requests received so far. */
  tokenRequests(): number;
  /** RFC 7662 introspection by the server itself. */
  introspect(token: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startOidcUpstream(options: { lifetimeSec?: number } = {}): Promise<OidcUpstream> {
  // The issuer needs the port, so listen first and hand requests to the provider once it exists.
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: UPSTREAM_CLIENT.id,
        client_secret: UPSTREAM_CLIENT.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: UPSTREAM_CLIENT.scope,
      },
      {
        client_id: INTROSPECTOR.id,
        client_secret: INTROSPECTOR.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: ['api:read'],
    ttl: { ClientCredentials: options.lifetimeSec ?? 600 },
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      devInteractions: { enabled: false },
    },
  });
  const callback = provider.callback();
  let tokenRequests = 0;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && req.url === '/token') tokenRequests += 1;
    void callback(req, res);
  });
  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    tokenRequests: () => tokenRequests,
    async introspect(token) {
      const response = await fetch(`${issuer}/token/introspection`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${INTROSPECTOR.id}:${INTROSPECTOR.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token }).toString(),
      });
      if (response.status !== 200) throw new Error(`introspection answered ${response.status}`);
      return (await response.json()) as Record<string, unknown>;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
