// An OAuth client program as people run them, for the relay tests: real client libraries from npm
// building their own requests and parsing the answers. Started as a child process, so "many client
// processes" are really many processes. The client secret comes in TOKENTRAY_RELAY_SECRET (never argv).
// Prints one JSON line: the token answer, or {"error": ...} as the library reported it.
//   node relay-client.mjs <openid-basic|openid-post|simple-header|simple-body|simple-json> <issuer> <client_id>
import * as openid from 'openid-client';
import simpleOauth2 from 'simple-oauth2';

const [mode, issuer, clientId] = process.argv.slice(2);
const secret = process.env.TOKENTRAY_RELAY_SECRET ?? '';

async function viaOpenidClient(auth) {
  // Discovery from the issuer (RFC 8414), then the client credentials grant at the token endpoint
  // the metadata names. v6 refuses http:// unless told: the relay is on the loopback.
  const config = await openid.discovery(new URL(issuer), clientId, undefined, auth, {
    algorithm: 'oauth2',
    execute: [openid.allowInsecureRequests],
  });
  const answer = await openid.clientCredentialsGrant(config);
  return { access_token: answer.access_token, token_type: answer.token_type, expires_in: answer.expires_in, scope: answer.scope };
}

async function viaSimpleOauth2(authorizationMethod, bodyFormat) {
  const url = new URL(`${issuer}/oauth/token`);
  const client = new simpleOauth2.ClientCredentials({
    client: { id: clientId, secret },
    auth: { tokenHost: url.origin, tokenPath: url.pathname },
    options: { authorizationMethod, bodyFormat },
  });
  const token = await client.getToken({});
  return token.token;
}

try {
  const answer =
    mode === 'openid-basic'
      ? await viaOpenidClient(openid.ClientSecretBasic(secret))
      : mode === 'openid-post'
        ? await viaOpenidClient(openid.ClientSecretPost(secret))
        : mode === 'simple-header'
          ? await viaSimpleOauth2('header', 'form')
          : mode === 'simple-body'
            ? await viaSimpleOauth2('body', 'form')
            : mode === 'simple-json'
              ? await viaSimpleOauth2('body', 'json')
              : null;
  if (answer === null) throw new Error(`unknown mode ${mode}`);
  process.stdout.write(`${JSON.stringify(answer)}\n`);
} catch (error) {
  // openid-client: ResponseBodyError with .error/.status, or, when the answer carries a
  // WWW-Authenticate challenge (invalid_client after Basic, RFC 6749 section 5.2), a
  // WWWAuthenticateChallengeError whose .response still holds the JSON body. simple-oauth2 (wreck):
  // .data.payload, already parsed.
  let body = error?.data?.payload;
  if (body === undefined && error?.response instanceof Response) body = await error.response.json().catch(() => undefined);
  process.stdout.write(
    `${JSON.stringify({
      error: error?.error ?? body?.error ?? 'client_error',
      status: error?.status ?? error?.output?.statusCode ?? null,
      description: error?.error_description ?? body?.error_description ?? String(error?.message ?? error),
      challenge: error?.cause?.[0]?.scheme,
    })}\n`,
  );
  process.exitCode = 1;
}
