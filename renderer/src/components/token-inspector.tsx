// The token inspector (docs/desktop.md): a token is shown only after an explicit reveal, and a JWT's
// header and claims are decoded here in the page with jose; the token is never sent anywhere else.
import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { useState, type ReactNode } from 'react';
import type { ErrorInfo, TokenResponse } from '../../../common/contract.js';
import { useNow } from '../clock.js';
import { useDashboard } from '../context.js';
import { formatLocalTime, formatRelative } from '../format.js';
import { useDashboardState } from '../store.js';
import { ErrorNote, ProviderMark, StateBadge } from './bits.js';

export type DecodedToken =
  | { kind: 'jwt'; header: ProtectedHeaderParameters; claims: JWTPayload }
  | { kind: 'opaque' };

export function decodeToken(token: string): DecodedToken {
  if (token.split('.').length !== 3) return { kind: 'opaque' };
  try {
    return { kind: 'jwt', header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch {
    return { kind: 'opaque' };
  }
}

export function TokenInspector(props: { id: string }): ReactNode {
  const { bridge, store } = useDashboard();
  const { profiles } = useDashboardState(store);
  const status = profiles.state === 'ready' ? profiles.value.find((p) => p.id === props.id) : undefined;
  const [token, setToken] = useState<TokenResponse | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);

  const reveal = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    const result = await bridge.invoke('tokens:get', props.id);
    setBusy(false);
    if (result.ok) setToken(result.value);
    else setError(result.error);
  };

  return (
    <section className="view narrow" aria-labelledby="inspect-title">
      <div className="view-head">
        <h1 id="inspect-title" tabIndex={-1}>
          Token inspector
        </h1>
        <a className="button quiet" href={`#/profiles/${encodeURIComponent(props.id)}`}>
          Back to profiles
        </a>
      </div>
      {status ? (
        <div className="inspect-profile">
          <ProviderMark provider={status.provider} />
          <strong>{status.name}</strong>
          <span className="muted">{status.id}</span>
          <StateBadge state={status.state} />
        </div>
      ) : (
        <p className="muted">
          Profile <code>{props.id}</code>
        </p>
      )}
      <p className="muted">
        The token is fetched from Tokentray and decoded inside this window. It is never sent anywhere else.
      </p>
      {token ? (
        <TokenDetails token={token} onHide={() => setToken(null)} />
      ) : (
        <button type="button" className="button primary" disabled={busy} onClick={() => void reveal()}>
          {busy ? 'Fetching the token…' : 'Reveal token'}
        </button>
      )}
      {error ? (
        <div role="alert">
          <ErrorNote error={error} title="Could not get a token:" />
        </div>
      ) : null}
    </section>
  );
}

const CLAIM_ROWS: Array<[keyof JWTPayload | 'scope' | 'scp', string]> = [
  ['iss', 'Issuer (iss)'],
  ['sub', 'Subject (sub)'],
  ['aud', 'Audience (aud)'],
  ['scope', 'Scope'],
  ['scp', 'Scope (scp)'],
  ['azp', 'Authorized party (azp)'],
];

function TokenDetails(props: { token: TokenResponse; onHide: () => void }): ReactNode {
  const { token } = props;
  const now = useNow();
  const decoded = decodeToken(token.access_token);
  return (
    <div className="token-details" data-testid="token-details">
      <div className="token-box">
        <div className="token-box-head">
          <span>
            {token.token_type} token, {decoded.kind === 'jwt' ? 'JWT' : 'opaque'}
          </span>
          <button type="button" className="button small" onClick={props.onHide}>
            Hide token
          </button>
        </div>
        <code className="token-text" aria-label="Access token">
          {token.access_token}
        </code>
      </div>
      {decoded.kind === 'opaque' ? (
        <p className="opaque" data-testid="opaque">
          This is an opaque token, not a JWT: it carries no claims that can be read here. Only the server that issued
          it knows what it grants. Tokentray reports it expires {formatRelative(token.expires_at, now)} (
          {formatLocalTime(token.expires_at)}).
        </p>
      ) : (
        <>
          <h2>Claims</h2>
          <dl className="claims" data-testid="claims">
            {CLAIM_ROWS.map(([claim, label]) => {
              const value = decoded.claims[claim];
              if (value === undefined) return null;
              return (
                <div key={claim} data-claim={claim}>
                  <dt>{label}</dt>
                  <dd>{Array.isArray(value) ? value.join(', ') : String(value)}</dd>
                </div>
              );
            })}
            <TimeClaim label="Expires (exp)" name="exp" value={decoded.claims.exp} now={now} />
            <TimeClaim label="Issued (iat)" name="iat" value={decoded.claims.iat} now={now} />
            <TimeClaim label="Not before (nbf)" name="nbf" value={decoded.claims.nbf} now={now} />
          </dl>
          <details>
            <summary>Header and all claims</summary>
            <pre className="json">{JSON.stringify({ header: decoded.header, claims: decoded.claims }, null, 2)}</pre>
          </details>
        </>
      )}
    </div>
  );
}

function TimeClaim(props: { label: string; name: string; value: unknown; now: number }): ReactNode {
  if (typeof props.value !== 'number') return null;
  const iso = new Date(props.value * 1000).toISOString();
  return (
    <div data-claim={props.name}>
      <dt>{props.label}</dt>
      <dd>
        {formatLocalTime(iso)} <span className="muted">({formatRelative(iso, props.now)})</span>
      </dd>
    </div>
  );
}
