// Redpanda Cloud (seed 000): client credentials in a form body (+ audience when set); tokens last one hour.
import type { Provider } from '../types.js';
import { requestTokenWithForm } from './token-request.js';

export const redpandaProvider: Provider = {
  id: 'redpanda',
  obtain: (profile, secrets, context) => requestTokenWithForm(profile, secrets, context, ['audience']),
};
