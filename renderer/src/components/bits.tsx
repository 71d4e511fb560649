// Small pieces every view uses: the provider mark, the state badge (colour AND words), an error with
// its hint, the loading / error states, and a client key shown once.
import type { ReactNode } from 'react';
import type { ErrorInfo, ProfileState } from '../../../common/contract.js';
import { PROVIDERS, type ProviderId } from '../../../common/providers.js';
import { STATE_LABELS } from '../format.js';

export function ProviderMark(props: { provider: ProviderId }): ReactNode {
  const spec = PROVIDERS[props.provider];
  return (
    <span className={`mark mark-${props.provider}`} title={spec.label} aria-label={spec.label} role="img">
      <span aria-hidden="true">{spec.mark}</span>
    </span>
  );
}

export function StateBadge(props: { state: ProfileState }): ReactNode {
  return (
    <span className={`badge state-${props.state}`} data-state={props.state}>
      <span className="badge-dot" aria-hidden="true" />
      {STATE_LABELS[props.state]}
    </span>
  );
}

export function ErrorNote(props: { error: ErrorInfo; title?: string; role?: 'alert' | 'note' }): ReactNode {
  return (
    <div className="error-note" role={props.role ?? 'note'}>
      <p className="error-message">
        {props.title ? <strong>{props.title} </strong> : null}
        {props.error.message}
      </p>
      {props.error.hint ? (
        <p className="error-hint">
          <span className="hint-label">What to do: </span>
          {props.error.hint}
        </p>
      ) : null}
    </div>
  );
}

export function Loading(props: { what: string }): ReactNode {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      Loading {props.what}…
    </div>
  );
}

export function LoadError(props: { what: string; error: ErrorInfo; onRetry: () => void }): ReactNode {
  return (
    <div className="load-error">
      <ErrorNote error={props.error} title={`Could not load ${props.what}.`} role="alert" />
      <button type="button" className="button" onClick={props.onRetry}>
        Try again
      </button>
    </div>
  );
}

/**
 * A client key just created: shown this once (docs/http-api.md: the server keeps only its hash), with
 * Copy and Done. The settings view and the relay panel both show it; `testId` names its parts.
 */
export function NewKeyNotice(props: {
  name: string;
  secret: string;
  testId: string;
  note?: string;
  onCopy: () => void;
  onDone: () => void;
}): ReactNode {
  return (
    <div className="new-key" role="region" aria-label="New client key" data-testid={props.testId}>
      <p>
        <strong>Client key “{props.name}”.</strong> Copy it now: Tokentray keeps only a hash and cannot show it
        again.{props.note ? ` ${props.note}` : ''}
      </p>
      <code className="token-text" data-testid={`${props.testId}-value`}>
        {props.secret}
      </code>
      <div className="form-actions">
        <button type="button" className="button primary" onClick={props.onCopy}>
          Copy key
        </button>
        <button type="button" className="button" onClick={props.onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
