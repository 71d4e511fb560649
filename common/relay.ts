// Where an OAuth client finds the token relay (docs/http-api.md, "The token relay"):
// the token URL and issuer of one profile, why a profile cannot be relayed, and short ready-to-paste
// examples (the Camunda SDK's environment, curl with a JSON body as in Camunda's docs, Postman).
// Pure string building, shared by the server (metadata, refusals), the CLI (`tokentray relay ID`)
// and the dashboard's "Use from an OAuth client" panel, so all three say the same thing.
import { PROVIDERS, type ProviderId } from './providers.js';

/** The relay's token endpoint, below the issuer (RFC 8414 section 3 puts the issuer's path first). */
export const RELAY_TOKEN_SUFFIX = '/oauth/token';

/** The loopback API's base URL for a port, as every surface names it (never localhost: one spelling). */
export function apiBaseUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export interface RelayEndpoints {
  /** `http://HOST:PORT/v1/profiles/{id}`: what openid-client and other discovering clients are given. */
  issuer: string;
  /** `{issuer}/oauth/token`: what clients with a configurable token URL are given. */
  tokenUrl: string;
  /** The RFC 8414 metadata document for the issuer (section 3: inserted before the issuer's path). */
  metadataUrl: string;
}

/** The relay's URLs for one profile at a base URL such as `http://127.0.0.1:47210` (no trailing slash needed). */
export function relayEndpoints(baseUrl: string, id: string): RelayEndpoints {
  const origin = baseUrl.replace(/\/+$/, '');
  const issuer = `${origin}/v1/profiles/${id}`;
  return {
    issuer,
    tokenUrl: `${issuer}${RELAY_TOKEN_SUFFIX}`,
    metadataUrl: `${origin}/.well-known/oauth-authorization-server/v1/profiles/${id}`,
  };
}

/**
 * Why a provider's credential cannot be handed out as an OAuth access token, or null when it can
 * (docs/http-api.md: only bearer-token profiles are relayed). The relay's unauthorized_client answer,
 * the CLI's refusal and the dashboard's panel all use these words.
 */
export function relayRefusal(provider: ProviderId): string | null {
  switch (provider) {
    case 'camunda-operate-cookie':
      return 'This profile logs in with a session cookie, not a bearer token, so it cannot be relayed as an OAuth token. Use GET /v1/profiles/{id}/headers or the proxy instead.';
    case 'sendcloud-basic':
      return 'This profile authenticates with HTTP Basic, not a bearer token, so it cannot be relayed as an OAuth token. Use GET /v1/profiles/{id}/headers or the proxy instead.';
    default:
      return null;
  }
}

/**
 * relayRefusal, and also for a profile that gets its tokens over mutual TLS: such tokens are bound to
 * its client certificate (RFC 8705 section 3, `cnf` with `x5t#S256`), an API accepts them only from a
 * client that presents that certificate, and a relay client talks plain HTTP to the loopback and holds
 * no certificate. The proxy presents it (docs/client-auth.md).
 */
export function relayRefusalFor(profile: { provider: ProviderId; authMethod?: string | undefined }): string | null {
  const refusal = relayRefusal(profile.provider);
  if (refusal !== null) return refusal;
  if (profile.authMethod === 'tls_client_auth' || profile.authMethod === 'self_signed_tls_client_auth') {
    return 'This profile gets its tokens over mutual TLS, so they are bound to its client certificate (RFC 8705, cnf x5t#S256), and a relay client cannot present that certificate: the API would refuse the token. Use the proxy, /v1/proxy/{id}/…, which presents the certificate.';
  }
  return null;
}

/** What the examples need to know of a profile: no secret, only what names its audience. */
export interface RelayProfile {
  id: string;
  provider: ProviderId;
  audience?: string | undefined;
  extraParams?: Readonly<Record<string, string>> | undefined;
}

/**
 * The audience the profile's tokens are requested for (its own, else the provider's default, else an
 * `audience` extra parameter), as the relay checks it; undefined when none is sent.
 */
export function relayAudience(profile: RelayProfile): string | undefined {
  const own = profile.audience !== undefined && profile.audience !== '' ? profile.audience : undefined;
  const audience = own ?? PROVIDERS[profile.provider].defaults.audience ?? profile.extraParams?.audience;
  return audience === undefined || audience === '' ? undefined : audience;
}

/** Placeholders used in the examples until a key was just created (it is shown only once). */
export const CLIENT_ID_PLACEHOLDER = '<client key name>';
export const CLIENT_SECRET_PLACEHOLDER = '<client key>';

export interface RelayCredentials {
  /** The client key's name (the OAuth client_id). */
  clientId?: string | undefined;
  /** The client key itself (the OAuth client_secret), only right after it was created. */
  clientSecret?: string | undefined;
}

export interface RelayExamples {
  /** Environment for the Camunda 8 SDKs (Node.js, Java/Spring, zbctl read the same names). */
  camundaEnv: string;
  /** A token request with a JSON body, as in Camunda's curl examples. */
  curl: string;
  /** Postman's OAuth 2.0 authorization settings, one per line. */
  postman: string;
}

/**
 * The Camunda SDKs ask each component's audience under its own name (ZEEBE_TOKEN_AUDIENCE for the
 * Zeebe/Orchestration API, CAMUNDA_OPERATE_OAUTH_AUDIENCE, CAMUNDA_CONSOLE_OAUTH_AUDIENCE); the
 * relay refuses any audience but the profile's, so the example names the one this profile serves.
 */
function camundaAudienceVariable(provider: ProviderId): string {
  if (provider === 'camunda-console') return 'CAMUNDA_CONSOLE_OAUTH_AUDIENCE';
  if (provider === 'camunda-operate' || provider === 'camunda-operate-identity') return 'CAMUNDA_OPERATE_OAUTH_AUDIENCE';
  return 'ZEEBE_TOKEN_AUDIENCE';
}

/** Ends the curl example's here-document; a JSON text on one line can never be this line. */
const CURL_BODY_END = 'JSON';

/** POSIX shell single quotes: safe for any value, including a key with `$` or `'`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function relayExamples(endpoints: RelayEndpoints, profile: RelayProfile, credentials: RelayCredentials = {}): RelayExamples {
  const clientId = credentials.clientId ?? CLIENT_ID_PLACEHOLDER;
  const secret = credentials.clientSecret ?? CLIENT_SECRET_PLACEHOLDER;
  const audience = relayAudience(profile);

  const env = [
    `export CAMUNDA_AUTH_STRATEGY=OAUTH`,
    `export CAMUNDA_OAUTH_URL=${shellQuote(endpoints.tokenUrl)}`,
    // zbctl and the Java client read the older name for the same URL.
    `export ZEEBE_AUTHORIZATION_SERVER_URL=${shellQuote(endpoints.tokenUrl)}`,
    `export ZEEBE_CLIENT_ID=${shellQuote(clientId)}`,
    `export ZEEBE_CLIENT_SECRET=${shellQuote(secret)}`,
  ];
  if (audience !== undefined) env.push(`export ${camundaAudienceVariable(profile.provider)}=${shellQuote(audience)}`);

  const body: Record<string, string> = { grant_type: 'client_credentials' };
  if (audience !== undefined) body.audience = audience;
  body.client_id = clientId;
  body.client_secret = secret;
  // The body, key included, goes on standard input from a quoted here-document: never in curl's
  // arguments, which every user of the machine can read (ps, /proc), and never expanded by the shell.
  const curl = [
    `curl -sS -X POST ${shellQuote(endpoints.tokenUrl)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  --data-binary @- <<'${CURL_BODY_END}'`,
    JSON.stringify(body),
    CURL_BODY_END,
  ].join('\n');

  const postman = [
    'Authorization type: OAuth 2.0',
    'Grant type: Client Credentials',
    `Access Token URL: ${endpoints.tokenUrl}`,
    `Client ID: ${clientId}`,
    `Client Secret: ${secret}`,
    ...(audience === undefined ? [] : [`Audience (Advanced, token request): ${audience}`]),
    'Client Authentication: Send as Basic Auth header',
  ].join('\n');

  return { camundaEnv: env.join('\n'), curl, postman };
}
