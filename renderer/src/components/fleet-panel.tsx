// The fleet panel in settings (docs/shared-cache.md): where the shared cache is (never its
// password), whether it answers, the fleet key's id, and per profile what the fleet holds. Read when
// settings open and on request; it shows facts about records, never a token. A fleet joined here
// (the setting) can be changed or left here; one named where the app starts stays as it is.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { ErrorInfo, FleetProfileInfo, FleetStatusInfo } from '../../../common/contract.js';
import { useDashboard } from '../context.js';
import { useLoad } from '../store.js';
import { ErrorNote, LoadError, Loading } from './bits.js';
import { ConfirmDialog } from './confirm-dialog.js';

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
  const { load, retry: read, set } = useLoad(() => bridge.invoke('fleet:status'), [bridge]);
  const show = (info: FleetStatusInfo): void => set({ state: 'ready', value: info });
  const heading = useRef<HTMLHeadingElement>(null);
  // Each leave starts an empty form; the Leave button is gone, so focus goes to the panel's heading.
  const [leaves, setLeaves] = useState(0);
  const left = (info: FleetStatusInfo): void => {
    show(info);
    setLeaves((n) => n + 1);
  };
  useEffect(() => {
    if (leaves > 0) heading.current?.focus();
  }, [leaves]);

  return (
    <section className="fleet-settings" aria-labelledby="fleet-title" data-testid="fleet-panel">
      <h2 id="fleet-title" tabIndex={-1} ref={heading}>
        Fleet
      </h2>
      {load.state === 'loading' ? <Loading what="the shared cache" /> : null}
      {load.state === 'error' ? <LoadError what="the shared cache" error={load.error} onRetry={() => void read()} /> : null}
      {load.state === 'ready' && !load.value.configured ? (
        <p className="muted">
          No shared cache: this machine refreshes its tokens alone. Join a fleet below to share one upstream token with
          other machines through Redis.
        </p>
      ) : null}
      {load.state === 'ready' && load.value.configured ? <FleetFacts info={load.value} onRefresh={() => void read()} /> : null}
      {load.state === 'ready' ? <FleetChange key={leaves} info={load.value} onAnswer={show} onLeft={left} /> : null}
    </section>
  );
}

/**
 * What the dashboard may do about the fleet: join or change one it keeps in the setting, leave it;
 * a fleet from `--shared-cache` or TOKENTRAY_SHARED_CACHE belongs to how the app was started.
 */
function FleetChange(props: { info: FleetStatusInfo; onAnswer: (info: FleetStatusInfo) => void; onLeft: (info: FleetStatusInfo) => void }): ReactNode {
  const { info } = props;
  if (info.source === 'flag' || info.source === 'environment') {
    const named = info.source === 'flag' ? '--shared-cache' : 'TOKENTRAY_SHARED_CACHE';
    return (
      <p className="muted" data-testid="fleet-source">
        This fleet comes from <code>{named}</code>, given where the app is started; change it there and restart the
        app.
      </p>
    );
  }
  if (info.configured && info.source !== 'setting') return null;
  const saved = info.source === 'setting';
  return (
    <>
      {/* The same form before and after a join, so focus stays where the keyboard left it. */}
      <JoinForm changing={saved} location={info.location} onAnswer={props.onAnswer} />
      {saved ? <LeaveFleet location={info.location} onLeft={props.onLeft} /> : null}
    </>
  );
}

function JoinForm(props: { changing: boolean; location: string | null; onAnswer: (info: FleetStatusInfo) => void }): ReactNode {
  const { bridge, announce } = useDashboard();
  const ids = useId();
  const [url, setUrl] = useState(props.location ?? '');
  const [password, setPassword] = useState('');
  const [key, setKey] = useState('');
  const [urlMissing, setUrlMissing] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const { changing } = props;

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setUrlMissing(url.trim() === '');
    if (url.trim() === '') return;
    setError(null);
    setBusy(true);
    // An empty secret keeps the one the vault saved for this Redis (none yet: no password, and the
    // environment's fleet key), so a change of URL or key never needs the other typed again.
    const result = await bridge.invoke('fleet:join', { url, password: password === '' ? null : password, key: key === '' ? null : key });
    setBusy(false);
    if (!result.ok) {
      // The typed values stay, so one wrong field is corrected without typing the others again.
      setError(result.error);
      return;
    }
    // The secrets are in the vault now; the page keeps no copy (the URL as main shows it has no password).
    setPassword('');
    setKey('');
    setUrl(result.value.location ?? '');
    props.onAnswer(result.value);
    const where = result.value.location ?? 'Redis';
    announce(result.value.state === 'connected' ? `Sharing tokens through ${where}.` : `Fleet saved; ${where} does not answer yet, so this machine refreshes alone.`);
  };

  const errorId = `${ids}-error`;
  const describedBy = (...notes: string[]): string => [...notes, ...(error ? [errorId] : [])].join(' ');
  const keepNote = changing ? ' Leave empty to keep the saved one.' : '';
  return (
    <form className="form fleet-join" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${ids}-title`} aria-describedby={error ? errorId : undefined}>
      <h3 id={`${ids}-title`}>{changing ? 'Change the fleet' : 'Join a fleet'}</h3>
      <div className={`field${urlMissing ? ' invalid' : ''}`}>
        <label htmlFor={`${ids}-url`}>Redis URL</label>
        <input
          id={`${ids}-url`}
          type="text"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          placeholder="redis://[user@]host:port[/db]"
          value={url}
          aria-invalid={urlMissing}
          aria-describedby={describedBy(`${ids}-url-help`, ...(urlMissing ? [`${ids}-url-error`] : []))}
          onChange={(e) => setUrl(e.target.value)}
        />
        <p className="field-help" id={`${ids}-url-help`}>
          <code>rediss://</code> for TLS. The same Redis on every machine of the fleet.
        </p>
        {urlMissing ? (
          <p className="field-error" id={`${ids}-url-error`}>
            Enter the Redis URL, for example <code>redis://redis.internal:6379</code>.
          </p>
        ) : null}
      </div>
      <SecretField id={`${ids}-password`} label="Password" value={password} onChange={setPassword} describedBy={describedBy}>
        {changing ? 'Leave empty to keep the saved one.' : 'Leave empty if Redis asks for none.'} Kept in the vault, never in
        config.json.
      </SecretField>
      <SecretField id={`${ids}-key`} label="Fleet key" value={key} onChange={setKey} describedBy={describedBy}>
        32 random bytes in base64, the same on every machine: <code>tokentray shared-cache keygen</code>.{keepNote}
      </SecretField>
      {error ? (
        <div role="alert" id={errorId}>
          <ErrorNote error={error} title={changing ? 'Could not change the fleet:' : 'Could not join the fleet:'} />
        </div>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Connecting…' : changing ? 'Change' : 'Join the fleet'}
        </button>
      </div>
    </form>
  );
}

/** A secret typed once (the Redis password, the fleet key): never echoed, never offered by the browser. */
function SecretField(props: { id: string; label: string; value: string; onChange: (value: string) => void; describedBy: (...notes: string[]) => string; children: ReactNode }): ReactNode {
  const help = `${props.id}-help`;
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="password"
        autoComplete="off"
        spellCheck={false}
        value={props.value}
        aria-describedby={props.describedBy(help)}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <p className="field-help" id={help}>
        {props.children}
      </p>
    </div>
  );
}

function LeaveFleet(props: { location: string | null; onLeft: (info: FleetStatusInfo) => void }): ReactNode {
  const { bridge, announce } = useDashboard();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);

  const leave = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    const result = await bridge.invoke('fleet:leave');
    setBusy(false);
    setAsking(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    props.onLeft(result.value);
    announce('Left the fleet; this machine refreshes its tokens alone.');
  };

  return (
    <div className="fleet-leave">
      <div className="form-actions">
        <button type="button" className="button danger-quiet" onClick={() => setAsking(true)}>
          Leave the fleet
        </button>
      </div>
      {error ? (
        <div role="alert">
          <ErrorNote error={error} title="Could not leave the fleet:" />
        </div>
      ) : null}
      {asking ? (
        <ConfirmDialog title="Leave the fleet?" confirmLabel="Leave" busy={busy} onConfirm={() => void leave()} onCancel={() => setAsking(false)}>
          <p>
            This machine stops sharing through <code>{props.location ?? 'Redis'}</code> and refreshes its tokens alone. The
            saved Redis password and fleet key are removed from the vault; the other machines stay in the fleet.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
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
