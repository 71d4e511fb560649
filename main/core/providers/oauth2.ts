// Any OAuth 2.0 client-credentials server (RFC 6749 section 4.4), with the client authenticated by
// HTTP Basic (default), in the form body, in a JSON body, with a signed assertion or a client
// certificate (docs/client-auth.md); optional audience, scope and extra parameters.
import type { Provider } from '../types.js';
import {
  basicClientAuth,
  clientIdOf,
  FORM_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  keyClientAuth,
  requestToken,
  secretOf,
  tokenUrlOf,
} from './token-request.js';

/** Parameters that identify the grant and the client: extra parameters never override them. */
const RESERVED = new Set(['grant_type', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type']);

export const oauth2Provider: Provider = {
  id: 'oauth2',
  async obtain(profile, secrets, context) {
    const clientId = clientIdOf(profile);
    const keyed = await keyClientAuth(profile, secrets, context);
    const clientSecret = keyed === null ? secretOf(secrets, 'clientSecret') : '';
    const method = profile.authMethod ?? 'client_secret_basic';
    const params: [string, string][] = keyed ?? [['grant_type', 'client_credentials']];
    if (keyed === null && method !== 'client_secret_basic') params.push(['client_id', clientId], ['client_secret', clientSecret]);
    if (profile.audience) params.push(['audience', profile.audience]);
    if (profile.scope) params.push(['scope', profile.scope]);
    const named = new Set(params.map(([key]) => key));
    for (const [key, value] of Object.entries(profile.extraParams ?? {})) {
      if (!RESERVED.has(key) && !named.has(key)) params.push([key, value]);
    }
    const url = tokenUrlOf(profile);
    if (keyed === null && method === 'json') {
      return requestToken(profile, context, {
        url,
        headers: { 'Content-Type': JSON_CONTENT_TYPE },
        body: JSON.stringify(Object.fromEntries(params)),
      });
    }
    const headers: Record<string, string> = { 'Content-Type': FORM_CONTENT_TYPE };
    if (keyed === null && method === 'client_secret_basic') headers.Authorization = basicClientAuth(clientId, clientSecret);
    return requestToken(profile, context, { url, headers, body: new URLSearchParams(params).toString() });
  },
};
