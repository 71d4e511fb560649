// GET /v1/activity (docs/http-api.md): the activity log for scripts and audits, newest last, limited to
// what the key may see. A limited key sees only the entries about its own profiles; entries about no
// profile (client keys added or removed) are for unlimited keys only, as they concern everything.
import type { ActivityEntry } from '../../../common/contract.js';
import { clientMayAccess } from '../clients/client-keys.js';
import type { ClientKeyRecord } from '../types.js';
import { callerOf } from './middleware.js';
import { sendJson } from './problem.js';
import type { ServerArea } from './server-area.js';

export function visibleActivity(entries: readonly ActivityEntry[], record: ClientKeyRecord | undefined): ActivityEntry[] {
  if (record === undefined || record.profiles === null) return [...entries];
  return entries.filter((entry) => entry.profileId !== undefined && clientMayAccess(record, entry.profileId));
}

export function registerActivityRoutes({ router, engine }: Pick<ServerArea, 'router' | 'engine'>): void {
  router.add({
    path: '/v1/activity',
    access: 'client',
    methods: { GET: (ctx) => sendJson(ctx.res, 200, visibleActivity(engine.activity(), callerOf(ctx).record)) },
  });
}
