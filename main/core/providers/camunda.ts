// Camunda 8: the Console (Administration) API and Operate SaaS take a JSON body (seeds 001, 003);
// Operate Self-Managed with Identity takes a form body at the Identity/Keycloak token URL (seed 003),
// with the client secret or, as Keycloak offers, a signed assertion or a client certificate
// (docs/client-auth.md).
import type { Provider, ProviderContext, ResolvedProfile, Token } from '../types.js';
import type { ProfileSecrets } from '../../../common/contract.js';
import {
  clientIdOf,
  JSON_CONTENT_TYPE,
  requestToken,
  requestTokenWithForm,
  secretOf,
  tokenUrlOf,
} from './token-request.js';

/**
 * {grant_type, audience, client_id, client_secret} in the seeds' order. Console tokens carry their
 * lifetime only in the JWT exp claim (seed 001), which the token answer parser reads.
 */
async function obtainWithJsonBody(profile: ResolvedProfile, secrets: ProfileSecrets, context: ProviderContext): Promise<Token> {
  const body: Record<string, string> = { grant_type: 'client_credentials' };
  if (profile.audience) body.audience = profile.audience;
  body.client_id = clientIdOf(profile);
  body.client_secret = secretOf(secrets, 'clientSecret');
  return requestToken(profile, context, {
    url: tokenUrlOf(profile),
    headers: { 'Content-Type': JSON_CONTENT_TYPE },
    body: JSON.stringify(body),
  });
}

export const camundaConsoleProvider: Provider = { id: 'camunda-console', obtain: obtainWithJsonBody };

export const camundaOperateProvider: Provider = { id: 'camunda-operate', obtain: obtainWithJsonBody };

export const camundaOperateIdentityProvider: Provider = {
  id: 'camunda-operate-identity',
  obtain: (profile, secrets, context) => requestTokenWithForm(profile, secrets, context, ['audience', 'scope']),
};
