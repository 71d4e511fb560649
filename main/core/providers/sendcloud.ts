// Sendcloud (seed 004): Basic authentication with the public and secret keys (no request), or OAuth2
// client credentials with HTTP Basic client authentication and scope=api.
import type { Provider } from '../types.js';
import { basicClientAuth, clientIdOf, FORM_CONTENT_TYPE, requestToken, secretOf, tokenUrlOf } from './token-request.js';

export const sendcloudBasicProvider: Provider = {
  id: 'sendcloud-basic',
  async obtain(profile, secrets, context) {
    // Plain HTTP Basic (RFC 7617): the keys are joined with ':' and base64-encoded, nothing else.
    const credentials = Buffer.from(`${clientIdOf(profile, 'public key')}:${secretOf(secrets, 'clientSecret')}`, 'utf8').toString('base64');
    return {
      accessToken: credentials,
      tokenType: 'Basic',
      headers: { Authorization: `Basic ${credentials}` },
      obtainedAt: context.clock.now(),
      // seed 004: keys do not expire; they stay valid until revoked in the Sendcloud panel.
      expiresAt: null,
    };
  },
};

export const sendcloudOAuth2Provider: Provider = {
  id: 'sendcloud-oauth2',
  async obtain(profile, secrets, context) {
    const body = new URLSearchParams({ grant_type: 'client_credentials', scope: profile.scope || 'api' });
    return requestToken(profile, context, {
      url: tokenUrlOf(profile),
      headers: {
        'Content-Type': FORM_CONTENT_TYPE,
        // RFC 6749 section 2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
        Authorization: basicClientAuth(clientIdOf(profile, 'public key'), secretOf(secrets, 'clientSecret')),
      },
      body: body.toString(),
    });
  },
};
