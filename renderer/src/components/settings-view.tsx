// Settings (docs/desktop.md): loopback port, notification lead time, clipboard clearing, start at
// login; and the loopback client keys, whose key is shown once at creation and never again.
import '../zod-jitless.js';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import {
  settingsSchema,
  type ClientKeyInfo,
  type ErrorInfo,
  type Settings,
} from '../../../common/contract.js';
import { createClientKey } from '../api/client-keys.js';
import { useNow } from '../clock.js';
import { useDashboard } from '../context.js';
import { formatRelative } from '../format.js';
import { useDashboardState } from '../store.js';
import { ErrorNote, LoadError, Loading, NewKeyNotice } from './bits.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { VaultSettings } from './vault-gate.js';

export function SettingsView(): ReactNode {
  const { store } = useDashboard();
  const { settings } = useDashboardState(store);
  return (
    <section className="view narrow" aria-labelledby="settings-title">
      <div className="view-head">
        <h1 id="settings-title" tabIndex={-1}>
          Settings
        </h1>
      </div>
      {settings.state === 'loading' ? <Loading what="settings" /> : null}
      {settings.state === 'error' ? (
        <LoadError what="settings" error={settings.error} onRetry={() => void store.loadSettings()} />
      ) : null}
      {settings.state === 'ready' ? <SettingsForm settings={settings.value} /> : null}
      <ClientKeys />
      <VaultSettings />
    </section>
  );
}

type SettingsDraft = { port: string; leadTimeSec: string; clipboardClearSec: string; startAtLogin: boolean; notifications: boolean };

function draftOf(s: Settings): SettingsDraft {
  return {
    port: String(s.port),
    leadTimeSec: String(s.leadTimeSec),
    clipboardClearSec: String(s.clipboardClearSec),
    startAtLogin: s.startAtLogin,
    notifications: s.notifications,
  };
}

function SettingsForm(props: { settings: Settings }): ReactNode {
  const { bridge, store, announce } = useDashboard();
  const [draft, setDraft] = useState(() => draftOf(props.settings));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saveError, setSaveError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = useId();

  // Settings changed elsewhere (tray, CLI) arrive as an event and replace an untouched form.
  useEffect(() => setDraft(draftOf(props.settings)), [props.settings]);

  const onSubmit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const candidate = {
      port: Number(draft.port),
      leadTimeSec: Number(draft.leadTimeSec),
      clipboardClearSec: Number(draft.clipboardClearSec),
      startAtLogin: draft.startAtLogin,
      notifications: draft.notifications,
    };
    const parsed = settingsSchema.safeParse(candidate);
    if (!parsed.success) {
      const next: Record<string, string> = {};
      for (const issue of parsed.error.issues) next[String(issue.path[0])] = FIELD_RULES[String(issue.path[0])] ?? issue.message;
      setErrors(next);
      return;
    }
    setErrors({});
    setBusy(true);
    setSaveError(null);
    const result = await bridge.invoke('settings:update', parsed.data);
    setBusy(false);
    if (!result.ok) {
      setSaveError(result.error);
      return;
    }
    store.apply({ type: 'settings', settings: result.value });
    announce('Settings saved.');
  };

  const num = (name: 'port' | 'leadTimeSec' | 'clipboardClearSec', label: string, help: string): ReactNode => {
    const id = `${ids}-${name}`;
    return (
      <div className={`field${errors[name] ? ' invalid' : ''}`}>
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type="text"
          inputMode="numeric"
          value={draft[name]}
          aria-invalid={Boolean(errors[name])}
          aria-describedby={`${id}-help${errors[name] ? ` ${id}-error` : ''}`}
          onChange={(e) => setDraft({ ...draft, [name]: e.target.value })}
        />
        <p className="field-help" id={`${id}-help`}>
          {help}
        </p>
        {errors[name] ? (
          <p className="field-error" id={`${id}-error`}>
            {errors[name]}
          </p>
        ) : null}
      </div>
    );
  };

  return (
    <form className="form card-plain" onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Settings">
      {num('port', 'Loopback API port', 'Programs reach Tokentray at http://127.0.0.1:PORT. A change applies after a restart.')}
      {num('leadTimeSec', 'Notification lead time (seconds)', 'Warn when a token expires within this time and refreshing fails.')}
      {num('clipboardClearSec', 'Clear copied tokens after (seconds)', 'In the desktop app; 0 keeps the clipboard as it is.')}
      <div className="field checkbox">
        <input
          id={`${ids}-login`}
          type="checkbox"
          checked={draft.startAtLogin}
          onChange={(e) => setDraft({ ...draft, startAtLogin: e.target.checked })}
        />
        <label htmlFor={`${ids}-login`}>Start Tokentray at login (desktop app)</label>
      </div>
      <div className="field checkbox">
        <input
          id={`${ids}-notify`}
          type="checkbox"
          checked={draft.notifications}
          onChange={(e) => setDraft({ ...draft, notifications: e.target.checked })}
        />
        <label htmlFor={`${ids}-notify`}>Show notifications</label>
      </div>
      {saveError ? (
        <div role="alert">
          <ErrorNote error={saveError} title="Could not save the settings:" />
        </div>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save settings'}
        </button>
      </div>
    </form>
  );
}

const FIELD_RULES: Record<string, string> = {
  port: 'Use a whole number from 1024 to 65535.',
  leadTimeSec: 'Use a whole number of seconds from 10 to 86400.',
  clipboardClearSec: 'Use a whole number of seconds from 0 to 3600.',
};

function ClientKeys(): ReactNode {
  const { bridge, clipboard, store, announce } = useDashboard();
  const { profiles } = useDashboardState(store);
  const now = useNow();
  const ids = useId();
  const [list, setList] = useState<{ state: 'loading' } | { state: 'error'; error: ErrorInfo } | { state: 'ready'; value: ClientKeyInfo[] }>({
    state: 'loading',
  });
  const [attempt, setAttempt] = useState(0);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [limitTo, setLimitTo] = useState<string[] | null>(null);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [actionError, setActionError] = useState<ErrorInfo | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    void bridge.invoke('clients:list').then((result) => {
      if (live) setList(result.ok ? { state: 'ready', value: result.value } : { state: 'error', error: result.error });
    });
    return () => {
      live = false;
    };
  }, [bridge, attempt]);

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
      {list.state === 'error' ? <LoadError what="client keys" error={list.error} onRetry={() => setAttempt((n) => n + 1)} /> : null}
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
