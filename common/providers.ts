// The provider catalogue: ids, form fields and defaults. Every default here comes from the providers'
// own authentication pages in shared/seeds/ (named per entry), and every URL can be overridden per
// profile (docs/providers.md). Imported by main (validation, engine) and renderer (forms).

export const PROVIDER_IDS = [
  'redpanda',
  'camunda-console',
  'camunda-operate',
  'camunda-operate-identity',
  'camunda-operate-cookie',
  'acquia',
  'sendcloud-basic',
  'sendcloud-oauth2',
  'oauth2',
] as const;

export type ProviderId = (typeof PROVIDER_IDS)[number];

/** Client authentication with a shared secret (RFC 6749 section 2.3.1, and Camunda's JSON body). */
export const SECRET_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'json'] as const;
/**
 * Client authentication with a key instead of a shared secret: a signed assertion (RFC 7523 section
 * 2.2) or a client certificate (RFC 8705). See docs/client-auth.md.
 */
export const KEY_AUTH_METHODS = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'] as const;
/** The key methods that present the profile's certificate on the TLS connection (RFC 8705 section 2). */
export const TLS_AUTH_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'] as const;
export const AUTH_METHODS = [...SECRET_AUTH_METHODS, ...KEY_AUTH_METHODS] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
export type KeyAuthMethod = (typeof KEY_AUTH_METHODS)[number];

/** The JWS algorithms a client assertion is signed with; the default comes from the key's type. */
export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** The providers that offer key methods: Keycloak (Camunda Identity) and any OAuth 2.0 server. */
export const KEY_AUTH_PROVIDERS = ['oauth2', 'camunda-operate-identity'] as const;

/** Secret fields are kept only in the OS keychain, one entry per profile and field. */
export const SECRET_FIELDS = ['clientSecret', 'password', 'privateKey'] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

/** Non-secret profile fields a form may show. */
export type ProfileField =
  | 'clientId'
  | 'username'
  | 'tokenUrl'
  | 'apiUrl'
  | 'baseUrl'
  | 'audience'
  | 'scope'
  | 'authMethod'
  | 'extraParams'
  | 'defaultLifetimeSec'
  | 'sessionLifetimeSec'
  | 'timeoutMs'
  | 'keyId'
  | 'signingAlg'
  | 'assertionAudience'
  | 'clientCert'
  | 'caFile';

/**
 * What a field holds, so every form (the dashboard's, the CLI's prompts) renders and reads it from
 * this data instead of guessing from its name: a secret (kept in the vault, masked), a URL, a whole
 * number, one of a few choices, name=value parameters, an Acquia organization scope, a public PEM
 * certificate (pasted or read from a file), an absolute file path, or plain text.
 */
export const FIELD_TYPES = ['text', 'secret', 'url', 'organization-scope', 'number', 'choice', 'params', 'pem', 'path'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldSpec {
  field: ProfileField | SecretField;
  type: FieldType;
  label: string;
  required: boolean;
  help?: string;
  /** For type 'choice': the values offered (besides the provider's default). */
  choices?: readonly string[];
  /** For type 'number': what the number counts. */
  unit?: 'seconds' | 'milliseconds';
  /** PEM or JWK text of several lines: pasted, or read from a file in the page. */
  pem?: boolean;
  /**
   * The field belongs to these client authentication methods only: it is shown, required and sent
   * only when the profile uses one of them (a client secret is no use to a profile that signs).
   */
  authMethods?: readonly AuthMethod[];
}

export function isSecretSpec(spec: FieldSpec): spec is FieldSpec & { field: SecretField } {
  return spec.type === 'secret';
}

export interface ProviderSpec {
  id: ProviderId;
  label: string;
  /** Short text for the provider mark in the dashboard. */
  mark: string;
  /** Which seed document the defaults come from. */
  seed: string;
  fields: readonly FieldSpec[];
  defaults: Partial<ProviderDefaults>;
  /** How the token request is made, for people. */
  summary: string;
}

export interface ProviderDefaults {
  tokenUrl: string;
  apiUrl: string;
  baseUrl: string;
  audience: string;
  scope: string;
  authMethod: AuthMethod;
  /** Used when the answer has neither `expires_in` nor a JWT `exp` claim. */
  defaultLifetimeSec: number;
  /** Operate cookie sessions: how long a login is trusted before logging in again. */
  sessionLifetimeSec: number;
  timeoutMs: number;
}

/** Defaults shared by every provider unless it says otherwise. */
export const COMMON_DEFAULTS = {
  defaultLifetimeSec: 3600,
  timeoutMs: 10_000,
} as const;

const clientId = (label = 'Client ID'): FieldSpec => ({ field: 'clientId', type: 'text', label, required: true });
const clientSecret = (label = 'Client secret'): FieldSpec => ({ field: 'clientSecret', type: 'secret', label, required: true });
/** On the providers that offer key methods, the client secret belongs to the secret methods only. */
const keyedClientSecret: FieldSpec = { ...clientSecret(), authMethods: SECRET_AUTH_METHODS };
const JWT_ONLY = ['private_key_jwt'] as const;
/** The fields of client authentication with keys (docs/client-auth.md), after the method choice. */
const keyFields: readonly FieldSpec[] = [
  {
    field: 'privateKey',
    type: 'secret',
    pem: true,
    label: 'Private key',
    required: true,
    authMethods: KEY_AUTH_METHODS,
    help: 'PEM (PKCS#8, PKCS#1 or SEC1) or a private JWK. Kept in the vault and never shown again.',
  },
  {
    field: 'clientCert',
    type: 'pem',
    pem: true,
    label: 'Client certificate (PEM)',
    required: true,
    authMethods: TLS_AUTH_METHODS,
    help: 'The certificate registered with the server for this key; public.',
  },
  { field: 'keyId', type: 'text', label: 'Key ID (kid)', required: false, authMethods: JWT_ONLY },
  {
    field: 'signingAlg',
    type: 'choice',
    choices: SIGNING_ALGS,
    label: 'Signing algorithm',
    required: false,
    authMethods: JWT_ONLY,
    help: "Default: from the key's type (RSA: RS256, EC P-256: ES256, Ed25519: EdDSA).",
  },
  {
    field: 'assertionAudience',
    type: 'text',
    label: 'Assertion audience',
    required: false,
    authMethods: JWT_ONLY,
    help: 'The aud of the signed assertion. Default: the token URL.',
  },
];
/** Every provider may name a CA bundle to trust for its token URL and its API (a private CA). */
const caFile: FieldSpec = {
  field: 'caFile',
  type: 'path',
  label: 'CA bundle file',
  required: false,
  help: 'Path of a PEM file of the CA certificates to trust for the token URL and the API, instead of the system ones.',
};
const tokenUrl = (required: boolean, label = 'Token URL'): FieldSpec => ({ field: 'tokenUrl', type: 'url', label, required });
const apiUrl: FieldSpec = { field: 'apiUrl', type: 'url', label: 'API base URL', required: false };
const audience = (required = false): FieldSpec => ({ field: 'audience', type: 'text', label: 'Audience', required });
const scope: FieldSpec = { field: 'scope', type: 'text', label: 'Scope', required: false };

export const PROVIDERS: Record<ProviderId, ProviderSpec> = {
  redpanda: {
    id: 'redpanda',
    label: 'Redpanda Cloud',
    mark: 'RP',
    seed: '000_abb2b8f93b65a4c4.txt',
    summary: 'OAuth 2.0 client credentials, form body; tokens last one hour.',
    fields: [clientId(), clientSecret(), tokenUrl(false), audience(), apiUrl, caFile],
    defaults: {
      tokenUrl: 'https://auth.prd.cloud.redpanda.com/oauth/token',
      apiUrl: 'https://api.redpanda.com',
      defaultLifetimeSec: 3600,
    },
  },
  'camunda-console': {
    id: 'camunda-console',
    label: 'Camunda 8 Console (Administration API)',
    mark: 'C8',
    seed: '001_4f2fd58ee7541c06.txt',
    summary: 'Client credentials with a JSON body; the token endpoint is rate-limited.',
    fields: [clientId(), clientSecret(), tokenUrl(false), audience(), apiUrl, caFile],
    defaults: {
      tokenUrl: 'https://login.cloud.camunda.io/oauth/token',
      audience: 'api.cloud.camunda.io',
      apiUrl: 'https://api.cloud.camunda.io',
    },
  },
  'camunda-operate': {
    id: 'camunda-operate',
    label: 'Camunda Operate (SaaS)',
    mark: 'OP',
    seed: '003_8838bc06a510e364.txt',
    summary: 'Client credentials with a JSON body against a configurable authorization server.',
    fields: [
      clientId(),
      clientSecret(),
      tokenUrl(false, 'Authorization server URL'),
      audience(),
      apiUrl,
      caFile,
    ],
    defaults: {
      tokenUrl: 'https://login.cloud.camunda.io/oauth/token',
      audience: 'operate.camunda.io',
    },
  },
  'camunda-operate-identity': {
    id: 'camunda-operate-identity',
    label: 'Camunda Operate Self-Managed (Identity)',
    mark: 'OI',
    seed: '003_8838bc06a510e364.txt',
    summary: 'Client credentials (form body) against the Identity / Keycloak token URL; a client secret, a signed assertion or a client certificate.',
    fields: [
      clientId(),
      { field: 'authMethod', type: 'choice', choices: ['client_secret_post', ...KEY_AUTH_METHODS], label: 'Client authentication', required: false },
      keyedClientSecret,
      ...keyFields,
      tokenUrl(true),
      audience(),
      scope,
      apiUrl,
      caFile,
    ],
    // The client secret goes in the form body (seed 003), which is client_secret_post.
    defaults: { apiUrl: 'http://localhost:8080', authMethod: 'client_secret_post' },
  },
  'camunda-operate-cookie': {
    id: 'camunda-operate-cookie',
    label: 'Camunda Operate Self-Managed (login cookie)',
    mark: 'OC',
    seed: '003_8838bc06a510e364.txt',
    summary: 'POST {base}/api/login?username=..&password=.. and keep the session cookie.',
    fields: [
      { field: 'baseUrl', type: 'url', label: 'Operate base URL', required: false },
      { field: 'username', type: 'text', label: 'Username', required: true },
      { field: 'password', type: 'secret', label: 'Password', required: true },
      {
        field: 'sessionLifetimeSec',
        type: 'number',
        unit: 'seconds',
        label: 'Session lifetime (seconds)',
        required: false,
        help: 'How long a login is trusted before logging in again.',
      },
      caFile,
    ],
    defaults: { baseUrl: 'http://localhost:8080', sessionLifetimeSec: 1800 },
  },
  acquia: {
    id: 'acquia',
    label: 'Acquia Cloud Platform',
    mark: 'AQ',
    seed: '002_5d55c408fad23a5c.txt',
    summary: 'Client credentials, url-encoded form body; tokens last 300 s.',
    fields: [
      clientId('API key'),
      clientSecret('API secret'),
      {
        field: 'scope',
        type: 'organization-scope',
        label: 'Scope',
        required: false,
        help: 'Federated Authentication: organization:<uuid>',
      },
      tokenUrl(false),
      apiUrl,
      caFile,
    ],
    defaults: {
      tokenUrl: 'https://accounts.acquia.com/api/auth/oauth/token',
      apiUrl: 'https://cloud.acquia.com/api',
      defaultLifetimeSec: 300,
      // Acquia recommends raising the token request timeout to 20-25 s (seed 002).
      timeoutMs: 25_000,
    },
  },
  'sendcloud-basic': {
    id: 'sendcloud-basic',
    label: 'Sendcloud (Basic)',
    mark: 'SC',
    seed: '004_ffb49e6e063286a7.txt',
    summary: 'No request: Authorization: Basic base64(public:secret).',
    fields: [clientId('Public key'), clientSecret('Secret key'), apiUrl, caFile],
    defaults: { apiUrl: 'https://panel.sendcloud.sc/api/v2' },
  },
  'sendcloud-oauth2': {
    id: 'sendcloud-oauth2',
    label: 'Sendcloud (OAuth2)',
    mark: 'S2',
    seed: '004_ffb49e6e063286a7.txt',
    summary: 'Client credentials with HTTP Basic client authentication and scope=api.',
    fields: [clientId('Public key'), clientSecret('Secret key'), tokenUrl(false), scope, apiUrl, caFile],
    defaults: {
      tokenUrl: 'https://account.sendcloud.com/oauth2/token',
      apiUrl: 'https://panel.sendcloud.sc/api/v2',
      scope: 'api',
      authMethod: 'client_secret_basic',
      defaultLifetimeSec: 3599,
    },
  },
  oauth2: {
    id: 'oauth2',
    label: 'OAuth 2.0 client credentials',
    mark: 'O2',
    seed: 'RFC 6749 section 4.4',
    summary: 'Any client-credentials server; client auth basic, post, JSON, a signed assertion or a client certificate.',
    fields: [
      clientId(),
      keyedClientSecret,
      tokenUrl(true),
      { field: 'authMethod', type: 'choice', choices: AUTH_METHODS, label: 'Client authentication', required: false },
      ...keyFields,
      audience(),
      scope,
      { field: 'extraParams', type: 'params', label: 'Extra parameters', required: false },
      { field: 'defaultLifetimeSec', type: 'number', unit: 'seconds', label: 'Default lifetime (seconds)', required: false },
      apiUrl,
      caFile,
    ],
    defaults: { authMethod: 'client_secret_basic' },
  },
};

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && (PROVIDER_IDS as readonly string[]).includes(value);
}

/** The secret fields a provider needs with its default client authentication. */
export function secretFieldsOf(provider: ProviderId): SecretField[] {
  return secretFieldsFor({ provider });
}

/** The client authentication a profile uses: its own, else its provider's default. */
export function authMethodOf(profile: { provider: ProviderId; authMethod?: AuthMethod | undefined }): AuthMethod | undefined {
  return profile.authMethod ?? PROVIDERS[profile.provider].defaults.authMethod;
}

/** Whether a field belongs to the profile's client authentication (fields of no method always do). */
export function fieldApplies(spec: FieldSpec, authMethod: AuthMethod | undefined): boolean {
  if (spec.authMethods === undefined) return true;
  return spec.authMethods.includes(authMethod ?? 'client_secret_basic');
}

/**
 * The secret fields a profile needs (read from the vault before a token request): a client secret,
 * or a private key when it authenticates with a key.
 */
export function secretFieldsFor(profile: { provider: ProviderId; authMethod?: AuthMethod | undefined }): SecretField[] {
  const method = authMethodOf(profile);
  return PROVIDERS[profile.provider].fields
    .filter(isSecretSpec)
    .filter((f) => fieldApplies(f, method))
    .map((f) => f.field);
}

export function isKeyAuthMethod(method: AuthMethod | undefined): method is KeyAuthMethod {
  return method !== undefined && (KEY_AUTH_METHODS as readonly string[]).includes(method);
}

export function isTlsAuthMethod(method: AuthMethod | undefined): boolean {
  return method !== undefined && (TLS_AUTH_METHODS as readonly string[]).includes(method);
}

/** The client authentication methods a provider lets a profile choose (none: its one fixed way). */
export function authMethodsOf(provider: ProviderId): readonly string[] {
  return PROVIDERS[provider].fields.find((f) => f.field === 'authMethod')?.choices ?? [];
}
