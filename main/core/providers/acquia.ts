// Acquia Cloud Platform API v2 (seed 002): client credentials in a form body, tokens last 300 s, an
// optional scope organization:<uuid> for Federated Authentication, and a 25 s timeout (the profile
// default, see common/providers.ts).
import type { Provider } from '../types.js';
import { clientIdOf, FORM_CONTENT_TYPE, requestToken, secretOf, tokenUrlOf } from './token-request.js';

export const acquiaProvider: Provider = {
  id: 'acquia',
  async obtain(profile, secrets, context) {
    // Acquia rejects special characters in secrets unless they are url-encoded (seed 002), so the
    // body is built with URLSearchParams, in the order of the seed's curl example.
    const body = new URLSearchParams({
      client_id: clientIdOf(profile, 'API key'),
      client_secret: secretOf(secrets, 'clientSecret'),
      grant_type: 'client_credentials',
    });
    if (profile.scope) body.set('scope', profile.scope);
    return requestToken(profile, context, {
      url: tokenUrlOf(profile),
      headers: { 'Content-Type': FORM_CONTENT_TYPE },
      body: body.toString(),
    });
  },
};
