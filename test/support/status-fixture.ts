// A ProfileStatus with nothing known yet (no token, no error, no requests): tests set what they care about.
// Unless a test says otherwise, the token is handed out until the moment it expires.
import type { ProfileStatus } from '../../common/contract.js';

export function statusFixture(fields: Pick<ProfileStatus, 'id' | 'name' | 'provider' | 'state'> & Partial<ProfileStatus>): ProfileStatus {
  return {
    expiresAt: null,
    obtainedAt: null,
    lastRefreshAt: null,
    nextRefreshAt: null,
    lastError: null,
    requestsLastHour: 0,
    requestsLastDay: 0,
    ...fields,
    validUntil: fields.validUntil !== undefined ? fields.validUntil : (fields.expiresAt ?? null),
  };
}
