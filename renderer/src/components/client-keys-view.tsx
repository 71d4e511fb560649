// The loopback client keys (docs/client-auth.md): a key is shown once at creation and never again;
// keys may be limited to some profiles and revoked. A part of the settings view, kept apart so
// settings and key management change independently.
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { ErrorInfo } from '../../../common/contract.js';
import { createClientKey } from '../api/client-keys.js';
import { useNow } from '../clock.js';
import { useDashboard } from '../context.js';
import { formatRelative } from '../format.js';
import { useDashboardState, useLoad } from '../store.js';
import { ErrorNote, LoadError, Loading, NewKeyNotice } from './bits.js';
import { ConfirmDialog } from './confirm-dialog.js';

export function ClientKeys(): ReactNode {
  const { bridge, clipboard, store, announce } = useDashboard();
  const { profiles } = useDashboardState(store);
  const now = useNow();
  const ids = useId();
  const { load: list, retry, set: setList } = useLoad(() => bridge.invoke('clients:list'), [bridge]);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [limitTo, setLimitTo] = useState<string[] | null>(null);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [actionError, setActionError] = useState<ErrorInfo | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setActionError(null);
    const outcome = await createClientKey(bridge, name, limitTo && limitTo.length > 0 ? limitTo : null);
    setBusy(false);
    setNameError(outcome.kind === 'invalid-name' ? outcome.message : null);
    if (outcome.kind === 'failed') setActionError(outcome.error);
    if (outcome.kind !== 'created') return;
    const { client, key } = outcome;
    setCreated({ name: client.name, key });
    setName('');
    setLimitTo(null);
    setList((current) =>
      current.state === 'ready' ? { state: 'ready', value: [...current.value.filter((c) => c.name !== client.name), client] } : current,
    );
    announce(`Client key ${client.name} created. Copy it now: it is shown only once.`);
  };

  const revoke = async (clientName: string): Promise<void> => {
    setBusy(true);
    const result = await bridge.invoke('clients:remove', clientName);
    setBusy(false);
    setRevoking(null);
    if (!result.ok) {
      setActionError(result.error);
      return;
    }
    setList((current) => (current.state === 'ready' ? { state: 'ready', value: current.value.filter((c) => c.name !== clientName) } : current));
    announce(`Client key ${clientName} revoked.`);
  };

  const copyKey = async (key: string): Promise<void> => {
    const result = await clipboard.copyText(key);
    if (result.ok) announce('Client key copied to the clipboard.');
    else setActionError(result.error);
  };

  const profileIds = profiles.state === 'ready' ? profiles.value : [];

  return (
    <section className="client-keys" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Client keys</h2>
      <p className="muted">
        Programs that call the loopback API send <code>Authorization: Bearer &lt;client key&gt;</code>. Each key is shown
        once, stored only as a hash, and can be limited to some profiles.
      </p>

      {created ? (
        <NewKeyNotice name={created.name} secret={created.key} testId="new-key" onCopy={() => void copyKey(created.key)} onDone={() => setCreated(null)} />
      ) : null}

      {list.state === 'loading' ? <Loading what="client keys" /> : null}
      {list.state === 'error' ? <LoadError what="client keys" error={list.error} onRetry={retry} /> : null}
      {list.state === 'ready' && list.value.length === 0 ? <p className="muted">No client keys yet.</p> : null}
      {list.state === 'ready' && list.value.length > 0 ? (
        <table className="keys" aria-label="Client keys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Profiles</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.value.map((client) => (
              <tr key={client.name} data-client={client.name}>
                <th scope="row">{client.name}</th>
                <td>{client.profiles ? client.profiles.join(', ') : 'All profiles'}</td>
                <td>{formatRelative(client.createdAt, now)}</td>
                <td>{client.lastUsedAt ? formatRelative(client.lastUsedAt, now) : 'never'}</td>
                <td>
                  <button
                    type="button"
                    className="button small danger-quiet"
                    aria-label={`Revoke client key ${client.name}`}
                    onClick={() => setRevoking(client.name)}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      {actionError ? (
        <div role="alert">
          <ErrorNote error={actionError} />
        </div>
      ) : null}

      <form className="form inline-form" onSubmit={(e) => void create(e)} noValidate aria-label="Create a client key">
        <div className={`field${nameError ? ' invalid' : ''}`}>
          <label htmlFor={`${ids}-name`}>New key name</label>
          <input
            id={`${ids}-name`}
            type="text"
            autoComplete="off"
            placeholder="e.g. deploy-script"
            value={name}
            aria-invalid={Boolean(nameError)}
            aria-describedby={nameError ? `${ids}-name-error` : undefined}
            onChange={(e) => setName(e.target.value)}
          />
          {nameError ? (
            <p className="field-error" id={`${ids}-name-error`}>
              {nameError}
            </p>
          ) : null}
        </div>
        {profileIds.length > 0 ? (
          <fieldset className="field">
            <legend>May fetch tokens of</legend>
            <label className="check">
              <input type="radio" name={`${ids}-scope`} checked={limitTo === null} onChange={() => setLimitTo(null)} /> All
              profiles
            </label>
            <label className="check">
              <input type="radio" name={`${ids}-scope`} checked={limitTo !== null} onChange={() => setLimitTo([])} /> Only
              these profiles
            </label>
            {limitTo !== null ? (
              <div className="check-list">
                {profileIds.map((p) => (
                  <label key={p.id} className="check">
                    <input
                      type="checkbox"
                      checked={limitTo.includes(p.id)}
                      onChange={(e) => setLimitTo(e.target.checked ? [...limitTo, p.id] : limitTo.filter((x) => x !== p.id))}
                    />{' '}
                    {p.name} <span className="muted">({p.id})</span>
                  </label>
                ))}
              </div>
            ) : null}
          </fieldset>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            Create key
          </button>
        </div>
      </form>

      {revoking ? (
        <ConfirmDialog
          title={`Revoke “${revoking}”?`}
          confirmLabel="Revoke key"
          busy={busy}
          onConfirm={() => void revoke(revoking)}
          onCancel={() => setRevoking(null)}
        >
          <p>Programs using this key will get 401 from the loopback API at once.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
