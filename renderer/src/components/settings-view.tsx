// Settings (docs/desktop.md): loopback port, notification lead time, clipboard clearing, start at
// login; beside them the client keys (client-keys-view.tsx), the vault and the fleet.
import '../zod-jitless.js';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import {
  settingsSchema,
  type ErrorInfo,
  type Settings,
} from '../../../common/contract.js';
import { useDashboard } from '../context.js';
import { useDashboardState } from '../store.js';
import { ErrorNote, LoadError, Loading } from './bits.js';
import { ClientKeys } from './client-keys-view.js';
import { FleetPanel } from './fleet-panel.js';
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
      <FleetPanel />
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
