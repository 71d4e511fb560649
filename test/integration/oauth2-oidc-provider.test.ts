// The generic oauth2 provider against a real OAuth 2.0 server (oidc-provider 9) with client
// credentials and introspection enabled: client_secret_basic and client_secret_post, with secrets
// containing spaces and &+%/, and the token proven active by the server's own introspection.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Provider from 'oidc-provider';
import type { ProfileConfig } from '../../common/contract.js';
import { systemClock } from '../../main/core/clock.js';
import { TokentrayError } from '../../main/core/errors.js';
import { resolveProfile } from '../../main/core/profiles.js';
import { createProviderRegistry } from '../../main/core/providers/index.js';
import type { Token } from '../../main/core/types.js';

const SECRETS = {
  basic: 'basic secret &+%/ with spaces',
  // oidc-provider accepts visible ASCII and spaces in secrets.
  post: 'post secret &+%/ = ? # ~',
  plain: 'plainsecret0123456789',
};

let server: Server;
let issuer: string;

before(async () => {
  // The issuer needs the port, so listen first and hand requests to the provider once it exists.
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'basic-client',
        client_secret: SECRETS.basic,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'api:read api:write',
      },
      {
        client_id: 'post client+1',
        client_secret: SECRETS.post,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'api:read',
      },
      {
        client_id: 'introspector',
        client_secret: SECRETS.plain,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: ['api:read', 'api:write'],
    ttl: { ClientCredentials: 600 },
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      devInteractions: { enabled: false },
    },
  });
  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void callback(req, res);
  });
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const registry = createProviderRegistry();

function obtain(profile: Omit<ProfileConfig, 'id' | 'name' | 'provider'>, clientSecret: string): Promise<Token> {
  const provider = registry.get('oauth2');
  assert.ok(provider);
  return provider.obtain(resolveProfile({ id: 'oidc', name: 'oidc', provider: 'oauth2', ...profile }), { clientSecret }, {
    fetch: (input, init) => fetch(input, init),
    clock: systemClock,
  });
}

/** RFC 7662 introspection at the server, authenticated as a separate client. */
async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`introspector:${SECRETS.plain}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }).toString(),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as Record<string, unknown>;
}

describe('oauth2 provider against oidc-provider 9', () => {
  it('client_secret_basic with a secret containing spaces and &+%/', async () => {
    const token = await obtain({ tokenUrl: `${issuer}/token`, clientId: 'basic-client', scope: 'api:read api:write' }, SECRETS.basic);
    assert.equal(token.tokenType, 'Bearer');
    assert.ok(token.expiresAt !== null && token.expiresAt > token.obtainedAt);
    const info = await introspect(token.accessToken);
    assert.equal(info.active, true);
    assert.equal(info.client_id, 'basic-client');
    assert.equal(info.scope, 'api:read api:write');
    assert.equal(token.expiresAt - token.obtainedAt, ((info.exp as number) - (info.iat as number)) * 1000);
  });

  it('client_secret_post with a client id and secret that need encoding', async () => {
    const token = await obtain(
      { tokenUrl: `${issuer}/token`, clientId: 'post client+1', authMethod: 'client_secret_post', scope: 'api:read' },
      SECRETS.post,
    );
    const info = await introspect(token.accessToken);
    assert.equal(info.active, true);
    assert.equal(info.client_id, 'post client+1');
  });

  it('a wrong secret is invalid_client, and the message does not contain it', async () => {
    const wrong = 'basic secret &+%/ with spaces!';
    const error = await obtain({ tokenUrl: `${issuer}/token`, clientId: 'basic-client' }, wrong).then(
      () => assert.fail('expected invalid_client'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TokentrayError);
    assert.equal(error.kind, 'invalid_client');
    assert.ok(error.isCredentialError);
    assert.match(error.message, /client id or secret was rejected/);
    assert.ok(!error.message.includes(wrong) && !error.hint?.includes(wrong));
  });

  it('a JSON body is refused by a server that only takes forms (invalid_request)', async () => {
    const error = await obtain({ tokenUrl: `${issuer}/token`, clientId: 'basic-client', authMethod: 'json' }, SECRETS.basic).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TokentrayError);
    assert.equal(error.kind, 'invalid_request');
    assert.ok(error.isCredentialError);
  });

  it('a scope the client may not request is invalid_scope', async () => {
    const error = await obtain(
      { tokenUrl: `${issuer}/token`, clientId: 'post client+1', authMethod: 'client_secret_post', scope: 'api:write' },
      SECRETS.post,
    ).then(
      () => assert.fail('expected invalid_scope'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TokentrayError);
    assert.equal(error.kind, 'invalid_scope');
  });
});
