// Redpanda Cloud (seed 000): client credentials in a form body; tokens last one hour.
import type { Provider } from '../types.js';
import { clientIdOf, FORM_CONTENT_TYPE, requestToken, secretOf, tokenUrlOf } from './token-request.js';

export const redpandaProvider: Provider = {
  id: 'redpanda',
  async obtain(profile, secrets, context) {
    // Body built with URLSearchParams so every value is encoded; field order as in the seed's curl.
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientIdOf(profile),
      client_secret: secretOf(secrets, 'clientSecret'),
    });
    if (profile.audience) body.set('audience', profile.audience);
    return requestToken(profile, context, {
      url: tokenUrlOf(profile),
      headers: { 'Content-Type': FORM_CONTENT_TYPE },
      body: body.toString(),
    });
  },
};
