// The nine providers of docs/providers.md, one file per provider family.
import { PROVIDER_IDS, type ProviderId } from '../../../common/providers.js';
import type { Provider, ProviderRegistry } from '../types.js';
import { acquiaProvider } from './acquia.js';
import { camundaConsoleProvider, camundaOperateIdentityProvider, camundaOperateProvider } from './camunda.js';
import { camundaOperateCookieProvider } from './camunda-operate-cookie.js';
import { oauth2Provider } from './oauth2.js';
import { redpandaProvider } from './redpanda.js';
import { sendcloudBasicProvider, sendcloudOAuth2Provider } from './sendcloud.js';

export const ALL_PROVIDERS: readonly Provider[] = [
  redpandaProvider,
  camundaConsoleProvider,
  camundaOperateProvider,
  camundaOperateIdentityProvider,
  camundaOperateCookieProvider,
  acquiaProvider,
  sendcloudBasicProvider,
  sendcloudOAuth2Provider,
  oauth2Provider,
];

export function createProviderRegistry(): ProviderRegistry {
  const registry = new Map<ProviderId, Provider>(ALL_PROVIDERS.map((provider) => [provider.id, provider]));
  // Every id of the contract must have a provider; a missing one is a programming error.
  for (const id of PROVIDER_IDS) {
    if (!registry.has(id)) throw new Error(`No provider for ${id}`);
  }
  return registry;
}

export {
  acquiaProvider,
  camundaConsoleProvider,
  camundaOperateCookieProvider,
  camundaOperateIdentityProvider,
  camundaOperateProvider,
  oauth2Provider,
  redpandaProvider,
  sendcloudBasicProvider,
  sendcloudOAuth2Provider,
};
