// The fleet panel in settings (SPEC section 8): where the shared cache is (never its password),
// whether it answers, the fleet key's id, and per profile what the fleet holds. Read when settings
// open and on request; it shows facts about records, never a token.
import type { ReactNode } from 'react';
import type { FleetProfileInfo, FleetStatusInfo } from '../../../common/contract.js';
import { useDashboard } from '../context.js';
import { useLoad } from '../store.js';
import { LoadError, Loading } from './bits.js';

function tokenWords(p: FleetProfileInfo): string {
  if (p.error !== null) return `Redis failed: ${p.error}`;
  if (p.shared === null) return 'not read';
  if (!p.shared) return 'not shared (Basic credentials)';
  if (p.unreadable === 'foreign-key') return 'a record sealed with another fleet key (ignored)';
  if (p.unreadable !== null) return 'a record that does not authenticate (ignored)';
  if (p.token === null) return 'none';
  return p.token.expiresAt === null ? 'valid, never expires' : `until ${new Date(p.token.expiresAt).toLocaleTimeString()}`;
}

function holdWords(p: FleetProfileInfo): string {
  if (p.stop !== null) return `stopped: ${p.stop.message}`;
  if (p.coolUntil !== null) return `cooling down until ${new Date(p.coolUntil).toLocaleTimeString()}`;
  if (p.lockMs !== null) return `being refreshed (lock, ${Math.ceil(p.lockMs / 1000)} s left)`;
  return '-';
}

export function FleetPanel(): ReactNode {
  const { bridge } = useDashboard();
  const { load, retry: read } = useLoad(() => bridge.invoke('fleet:status'), [bridge]);

  return (
    <section className="fleet-settings" aria-labelledby="fleet-title" data-testid="fleet-panel">
      <h2 id="fleet-title">Fleet</h2>
      {load.state === 'loading' ? <Loading what="the shared cache" /> : null}
      {load.state === 'error' ? <LoadError what="the shared cache" error={load.error} onRetry={() => void read()} /> : null}
      {load.state === 'ready' && !load.value.configured ? (
        <p className="muted">
          No shared cache: this machine refreshes its tokens alone. Start with <code>--shared-cache URL</code> (or{' '}
          <code>TOKENTRAY_SHARED_CACHE</code>) and a fleet key to share one upstream token with other machines.
        </p>
      ) : null}
      {load.state === 'ready' && load.value.configured ? <FleetFacts info={load.value} onRefresh={() => void read()} /> : null}
    </section>
  );
}

function FleetFacts(props: { info: FleetStatusInfo; onRefresh: () => void }): ReactNode {
  const { info } = props;
  const unreadable = info.unreadable === null ? 0 : info.unreadable['foreign-key'] + info.unreadable.tampered + info.unreadable.format;
  return (
    <>
      <dl className="vault-facts">
        <div>
          <dt>Redis</dt>
          <dd>
            <code>{info.location}</code>
          </dd>
        </div>
        <div>
          <dt>State</dt>
          <dd data-testid="fleet-state">{info.state === 'connected' ? 'Connected' : `Unavailable: ${info.reason ?? 'no answer'} (refreshing alone)`}</dd>
        </div>
        <div>
          <dt>Fleet key</dt>
          <dd>
            <code>{info.keyId}</code>
            {info.previousKeyId !== null ? (
              <>
                {' '}
                (also reading <code>{info.previousKeyId}</code>)
              </>
            ) : null}
          </dd>
        </div>
        {unreadable > 0 ? (
          <div>
            <dt>Ignored records</dt>
            <dd>{unreadable} that did not open (another fleet key, or altered)</dd>
          </div>
        ) : null}
      </dl>
      {info.profiles.length > 0 ? (
        <table className="keys" aria-label="What the fleet holds">
          <thead>
            <tr>
              <th scope="col">Profile</th>
              <th scope="col">Fleet token</th>
              <th scope="col">Refresh</th>
              <th scope="col">Requests (1 h / 24 h)</th>
            </tr>
          </thead>
          <tbody>
            {info.profiles.map((p) => (
              <tr key={p.id} data-fleet-profile={p.id}>
                <th scope="row">
                  {p.id}
                  {p.sharedOnly ? <span className="muted"> (shared-only)</span> : null}
                </th>
                <td>{tokenWords(p)}</td>
                <td>{holdWords(p)}</td>
                <td>{p.counts === null ? '-' : `${p.counts.requestsLastHour} / ${p.counts.requestsLastDay}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div className="form-actions">
        <button type="button" className="button" onClick={props.onRefresh}>
          Read again
        </button>
      </div>
    </>
  );
}
