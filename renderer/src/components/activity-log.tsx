// The activity log (docs/desktop.md): refreshes, failures, recoveries and which client key fetched
// which token, newest first, filterable by profile, and live from events.
import { useId, type ReactNode } from 'react';
import type { ActivityEntry, ActivityKind } from '../../../common/contract.js';
import { useDashboard } from '../context.js';
import { formatLocalTime } from '../format.js';
import type { Route } from '../router.js';
import { useDashboardState } from '../store.js';
import { LoadError, Loading } from './bits.js';
import { RelativeTime } from './relative-time.js';

const KIND_LABELS: Record<ActivityKind, string> = {
  refreshed: 'Refreshed',
  'refresh-failed': 'Refresh failed',
  recovered: 'Recovered',
  'credentials-rejected': 'Credentials rejected',
  'token-issued': 'Token handed out',
  paused: 'Paused',
  resumed: 'Resumed',
  'profile-added': 'Profile added',
  'profile-updated': 'Profile updated',
  'profile-removed': 'Profile removed',
  'client-added': 'Client key created',
  'client-removed': 'Client key revoked',
  'sink-written': 'Token file written',
  'sink-removed': 'Token file removed',
  'sink-failed': 'Token file not written',
  'hook-ran': 'Hook ran',
  'hook-failed': 'Hook failed',
};

const TONE: Partial<Record<ActivityKind, string>> = {
  'refresh-failed': 'bad',
  'credentials-rejected': 'bad',
  'sink-failed': 'bad',
  'hook-failed': 'bad',
  recovered: 'good',
  refreshed: 'good',
};

export function ActivityView(props: { profile?: string; navigate: (route: Route) => void }): ReactNode {
  const { store } = useDashboard();
  const { activity, profiles } = useDashboardState(store);
  const filterId = useId();
  const profileIds = new Set<string>(profiles.state === 'ready' ? profiles.value.map((p) => p.id) : []);
  if (activity.state === 'ready') for (const e of activity.value) if (e.profileId) profileIds.add(e.profileId);
  if (props.profile) profileIds.add(props.profile);
  const names = new Map(profiles.state === 'ready' ? profiles.value.map((p) => [p.id, p.name]) : []);
  const entries: ActivityEntry[] =
    activity.state === 'ready' ? activity.value.filter((e) => !props.profile || e.profileId === props.profile) : [];

  return (
    <section className="view" aria-labelledby="activity-title">
      <div className="view-head">
        <h1 id="activity-title" tabIndex={-1}>
          Activity
        </h1>
        <div className="filter">
          <label htmlFor={filterId}>Profile</label>
          <select
            id={filterId}
            value={props.profile ?? ''}
            onChange={(e) => props.navigate(e.target.value ? { view: 'activity', profile: e.target.value } : { view: 'activity' })}
          >
            <option value="">All profiles</option>
            {[...profileIds].sort().map((id) => (
              <option key={id} value={id}>
                {names.get(id) ?? id}
              </option>
            ))}
          </select>
        </div>
      </div>
      {activity.state === 'loading' ? <Loading what="activity" /> : null}
      {activity.state === 'error' ? (
        <LoadError what="activity" error={activity.error} onRetry={() => void store.loadActivity()} />
      ) : null}
      {activity.state === 'ready' && entries.length === 0 ? (
        <p className="empty small-empty">
          {props.profile ? 'Nothing has happened for this profile yet.' : 'Nothing has happened yet.'} Refreshes,
          failures and tokens handed to programs will appear here as they happen.
        </p>
      ) : null}
      {entries.length > 0 ? (
        // The live region wraps the list: role="log" on the <ol> itself would take its list role away
        // and leave its items outside any list for screen readers (axe: listitem).
        <div role="log" aria-label="Activity, newest first">
          <ol className="activity" data-testid="activity-list">
            {entries.map((entry) => (
              <li key={entry.seq} className={`activity-entry tone-${TONE[entry.kind] ?? 'neutral'}`} data-kind={entry.kind}>
                <time dateTime={entry.at} title={formatLocalTime(entry.at)}>
                  <RelativeTime iso={entry.at} />
                </time>
                <span className="activity-kind">{KIND_LABELS[entry.kind] ?? entry.kind}</span>
                <span className="activity-what">
                  {entry.profileId ? <span className="activity-profile">{names.get(entry.profileId) ?? entry.profileId}</span> : null}
                  {entry.client ? <span> to client key “{entry.client}”</span> : null}
                  {entry.detail ? <span className="muted"> — {entry.detail}</span> : null}
                </span>
              </li>
            ))}
          </ol>
        </div>
      ) : null}
    </section>
  );
}
