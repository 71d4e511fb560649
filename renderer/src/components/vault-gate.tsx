// The lock screen (docs/storage.md): while the file vault has no passphrase yet, or waits
// for it, the dashboard shows "Create a passphrase" or "Unlock" instead of the views. The same
// component runs in the browser (HTTP) and in the app's window (IPC): it only speaks the bridge's
// `vault:*` verbs. Settings show the backend and its file, with Lock and Change passphrase actions
// (VaultSettings). How strong a new passphrase is comes from the app (`vault:strength`), which holds
// the one rule and its estimator: the page carries neither.
import { createContext, useCallback, useContext, useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { ErrorInfo, PassphraseStrength, Result, VaultInfo } from '../../../common/contract.js';
import { vaultLabel } from '../../../common/vault-place.js';
import type { Settling } from '../settling.js';
import { useDashboard } from '../context.js';
import { ErrorNote, LoadError, Loading } from './bits.js';

interface VaultGateValue {
  info: VaultInfo;
  /** Reads the state (and the entry count) again. */
  refresh(): Promise<void>;
  /** Locks the file vault: the lock screen comes back. */
  lock(): Promise<ErrorInfo | null>;
}

const VaultContext = createContext<VaultGateValue | null>(null);

export function useVault(): VaultGateValue | null {
  return useContext(VaultContext);
}

type GateState = { state: 'loading' } | { state: 'error'; error: ErrorInfo } | { state: 'ready'; info: VaultInfo };

const gateOf = (result: Result<VaultInfo>): GateState =>
  result.ok ? { state: 'ready', info: result.value } : { state: 'error', error: result.error };

/**
 * `first` is the page's first question about the vault, asked before anything rendered (main.tsx):
 * when its answer is already in, the gate starts with it and the page never shows "Loading the
 * vault". Without it, the gate asks as it mounts.
 */
export function VaultGate(props: { children: ReactNode; first?: Settling<Result<VaultInfo>> }): ReactNode {
  const { bridge, store } = useDashboard();
  const { first } = props;
  const [gate, setGate] = useState<GateState>(() => (first?.settled ? gateOf(first.settled.value) : { state: 'loading' }));

  const load = useCallback(
    async (pending?: Promise<Result<VaultInfo>>) => {
      setGate(gateOf(await (pending ?? bridge.invoke('vault:state'))));
    },
    [bridge],
  );

  // Without an argument, for the settings view: one function for the gate's life (it is an effect's
  // dependency there).
  const refresh = useCallback(() => load(), [load]);

  // Asked as the page mounts, not after its first paint: every view waits for this answer.
  useLayoutEffect(() => {
    if (!first?.settled) void load(first?.promise);
    // Once, with the gate: `first` is the page's first answer and never changes.
  }, [load]);

  const opened = useCallback(
    (info: VaultInfo) => {
      setGate({ state: 'ready', info });
      // The engine has started with the vault: profiles, activity and settings are there now.
      void store.reloadAll();
    },
    [store],
  );

  const lock = useCallback(async (): Promise<ErrorInfo | null> => {
    const result = await bridge.invoke('vault:lock');
    if (!result.ok) return result.error;
    setGate({ state: 'ready', info: result.value });
    return null;
  }, [bridge]);

  if (gate.state === 'loading') return <Loading what="the vault" />;
  if (gate.state === 'error') return <LoadError what="the vault's state" error={gate.error} onRetry={() => void load()} />;
  if (gate.info.state !== 'unlocked') return <LockScreen info={gate.info} onOpened={opened} />;
  return <VaultContext.Provider value={{ info: gate.info, lock, refresh }}>{props.children}</VaultContext.Provider>;
}

const STRENGTH_EMPTY_TEXT = 'Use four or more random words, or twelve or more random characters.';
/** Wait this long after the last key before asking the app: one question per pause, not per key. */
const STRENGTH_DELAY_MS = 150;

/** The words shown for the app's estimate: weak (0-2), fair (3, still refused), strong (4). */
export function strengthText(strength: PassphraseStrength): { level: 'weak' | 'fair' | 'strong'; text: string } {
  if (strength.acceptable) return { level: 'strong', text: 'Strong.' };
  const level = strength.score >= 3 ? 'fair' : 'weak';
  const word = level === 'fair' ? 'Fair, not yet enough' : 'Weak';
  const why = [strength.warning, strength.suggestions[0]].filter(Boolean).join(' ');
  return { level, text: `${word} (${strength.score} of 4; ${strength.required} is needed). ${why}`.trim() };
}

/** The app's estimate of `passphrase`, asked after each pause in typing; null while empty or asking. */
function useStrength(passphrase: string): PassphraseStrength | null {
  const { bridge } = useDashboard();
  const [answer, setAnswer] = useState<{ passphrase: string; strength: PassphraseStrength } | null>(null);
  useEffect(() => {
    if (passphrase === '') return;
    let live = true;
    const timer = setTimeout(() => {
      void bridge.invoke('vault:strength', passphrase).then((result) => {
        if (live && result.ok) setAnswer({ passphrase, strength: result.value });
      });
    }, STRENGTH_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [bridge, passphrase]);
  // An answer about what was typed before is no answer about this.
  return answer !== null && answer.passphrase === passphrase ? answer.strength : null;
}

function StrengthNote(props: { id: string; passphrase: string; strength: PassphraseStrength | null }): ReactNode {
  const shown = props.strength === null ? null : strengthText(props.strength);
  const level = props.passphrase === '' ? 'empty' : (shown?.level ?? 'pending');
  return (
    <p id={props.id} className={`field-help strength strength-${level}`} aria-live="polite">
      {props.passphrase === '' ? STRENGTH_EMPTY_TEXT : shown === null ? 'Strength: checking…' : `Strength: ${shown.text}`}
    </p>
  );
}

/** A refusal the app tied to the new passphrase (too weak, or the same as before): said beside it. */
function isNewPassphraseError(error: ErrorInfo): boolean {
  return error.kind === 'usage' && (error.field === 'passphrase' || error.field === 'next');
}

function LockScreen(props: { info: VaultInfo; onOpened: (info: VaultInfo) => void }): ReactNode {
  const { bridge, announce } = useDashboard();
  const creating = props.info.state === 'absent';
  const ids = useId();
  const first = useRef<HTMLInputElement>(null);
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [fieldError, setFieldError] = useState<{ field: 'passphrase' | 'repeat'; text: string } | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const strength = useStrength(creating ? passphrase : '');

  useEffect(() => first.current?.focus(), [creating]);

  const onSubmit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setError(null);
    if (passphrase === '') {
      setFieldError({ field: 'passphrase', text: creating ? 'Choose a passphrase: an empty one cannot protect the vault.' : 'Enter the passphrase.' });
      first.current?.focus();
      return;
    }
    if (creating && repeat !== passphrase) {
      setFieldError({ field: 'repeat', text: 'The two passphrases differ. Type the same one twice.' });
      return;
    }
    if (creating && strength !== null && !strength.acceptable) {
      setFieldError({ field: 'passphrase', text: `Too weak: ${strengthText(strength).text}` });
      first.current?.focus();
      return;
    }
    setFieldError(null);
    setBusy(true);
    const result = await bridge.invoke(creating ? 'vault:create' : 'vault:unlock', passphrase);
    setBusy(false);
    if (!result.ok) {
      // The app's own refusal of a weak passphrase (it decides, whatever the meter said) goes beside it.
      if (creating && isNewPassphraseError(result.error)) setFieldError({ field: 'passphrase', text: result.error.message });
      else setError(result.error);
      first.current?.select();
      return;
    }
    setPassphrase('');
    setRepeat('');
    announce(creating ? 'The vault was created and is unlocked.' : 'The vault is unlocked.');
    props.onOpened(result.value);
  };

  const passId = `${ids}-pass`;
  const repeatId = `${ids}-repeat`;
  return (
    <main id="main" className="lock-screen" tabIndex={-1}>
      <section className="view narrow card-plain" aria-labelledby={`${ids}-title`}>
        <h1 id={`${ids}-title`}>{creating ? 'Create a passphrase' : 'Unlock the vault'}</h1>
        <p>
          {creating
            ? 'No keychain answers on this machine, so Tokentray keeps secrets and cached tokens in an encrypted file. Choose a passphrase to protect it.'
            : 'Secrets and cached tokens are in an encrypted file. Enter its passphrase to start refreshing tokens.'}
        </p>
        <p className="field-help">
          File: <code>{props.info.location}</code>
        </p>
        {creating ? (
          <div className="lock-warning" role="note">
            <strong>A lost passphrase cannot be recovered.</strong> Nobody can reset it: without it, every secret in this vault is
            gone and each profile must be added again. Keep it in your password manager.
          </div>
        ) : null}
        <form className="form" onSubmit={(event) => void onSubmit(event)} noValidate>
          <div className={`field${fieldError?.field === 'passphrase' ? ' invalid' : ''}`}>
            <label htmlFor={passId}>{creating ? 'New passphrase' : 'Passphrase'}</label>
            <input
              ref={first}
              id={passId}
              type="password"
              autoComplete={creating ? 'new-password' : 'current-password'}
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
              aria-invalid={fieldError?.field === 'passphrase' ? true : undefined}
              aria-describedby={[creating ? `${ids}-strength` : '', fieldError?.field === 'passphrase' ? `${ids}-pass-error` : ''].join(' ').trim() || undefined}
              disabled={busy}
            />
            {creating ? <StrengthNote id={`${ids}-strength`} passphrase={passphrase} strength={strength} /> : null}
            {fieldError?.field === 'passphrase' ? (
              <p id={`${ids}-pass-error`} className="field-error">
                {fieldError.text}
              </p>
            ) : null}
          </div>
          {creating ? (
            <div className={`field${fieldError?.field === 'repeat' ? ' invalid' : ''}`}>
              <label htmlFor={repeatId}>Repeat the passphrase</label>
              <input
                id={repeatId}
                type="password"
                autoComplete="new-password"
                value={repeat}
                onChange={(e) => setRepeat(e.target.value)}
                aria-invalid={fieldError?.field === 'repeat' ? true : undefined}
                aria-describedby={fieldError?.field === 'repeat' ? `${ids}-repeat-error` : undefined}
                disabled={busy}
              />
              {fieldError?.field === 'repeat' ? (
                <p id={`${ids}-repeat-error`} className="field-error">
                  {fieldError.text}
                </p>
              ) : null}
            </div>
          ) : null}
          {error ? (
            <div role="alert">
              <ErrorNote error={error} title={creating ? 'The vault was not created:' : 'Not unlocked:'} />
            </div>
          ) : null}
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? (creating ? 'Creating…' : 'Unlocking…') : creating ? 'Create the vault' : 'Unlock'}
            </button>
          </div>
        </form>
      </section>
    </main>
  );
}

/** Settings: which backend holds the secrets, where, and (for the file) a Lock action. */
export function VaultSettings(): ReactNode {
  const vault = useVault();
  const { announce } = useDashboard();
  const [error, setError] = useState<ErrorInfo | null>(null);
  const refresh = vault?.refresh;
  // The count changes as profiles come and go: read it fresh when settings open.
  useEffect(() => void refresh?.(), [refresh]);
  if (vault === null) return null;
  const { info } = vault;
  return (
    <section className="vault-settings" aria-labelledby="vault-title">
      <h2 id="vault-title">Vault</h2>
      <dl className="vault-facts">
        <div>
          <dt>Backend</dt>
          <dd>{vaultLabel(info.backend)}</dd>
        </div>
        <div>
          <dt>{info.backend === 'file' ? 'File' : 'Service'}</dt>
          <dd>
            <code>{info.location}</code>
          </dd>
        </div>
        {info.entries !== null ? (
          <div>
            <dt>Entries</dt>
            <dd>{info.entries}</dd>
          </div>
        ) : null}
      </dl>
      {info.backend === 'file' ? (
        <div className="form-actions">
          <button
            type="button"
            className="button"
            onClick={() =>
              void vault.lock().then((failed) => {
                setError(failed);
                if (failed === null) announce('The vault is locked.');
              })
            }
          >
            Lock the vault
          </button>
        </div>
      ) : null}
      {error ? (
        <div role="alert">
          <ErrorNote error={error} title="Not locked:" />
        </div>
      ) : null}
      {info.backend === 'file' ? <ChangePassphrase onChanged={() => void vault.refresh()} /> : null}
    </section>
  );
}

type ChangeField = 'current' | 'next' | 'repeat';

/**
 * Re-encrypts the vault under a new passphrase (`vault:passphrase`). The current passphrase is
 * asked even though the vault is open: an unattended dashboard must not be enough to change it, and
 * wrong ones are slowed down like wrong unlocks.
 */
function ChangePassphrase(props: { onChanged: () => void }): ReactNode {
  const { bridge, announce } = useDashboard();
  const ids = useId();
  const [values, setValues] = useState<Record<ChangeField, string>>({ current: '', next: '', repeat: '' });
  const [fieldError, setFieldError] = useState<{ field: ChangeField; text: string } | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const strength = useStrength(values.next);
  const refs = { current: useRef<HTMLInputElement>(null), next: useRef<HTMLInputElement>(null), repeat: useRef<HTMLInputElement>(null) };

  const refuse = (field: ChangeField, text: string): void => {
    setFieldError({ field, text });
    refs[field].current?.focus();
  };

  const onSubmit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setError(null);
    setDone(false);
    if (values.current === '') return refuse('current', 'Enter the current passphrase.');
    if (values.next === '') return refuse('next', 'Choose a new passphrase.');
    if (strength !== null && !strength.acceptable) return refuse('next', `Too weak: ${strengthText(strength).text}`);
    if (values.repeat !== values.next) return refuse('repeat', 'The two new passphrases differ. Type the same one twice.');
    setFieldError(null);
    setBusy(true);
    const result = await bridge.invoke('vault:passphrase', { current: values.current, next: values.next });
    setBusy(false);
    if (!result.ok) {
      if (result.error.kind === 'vault_passphrase') refuse('current', `${result.error.message}${result.error.hint ? ` ${result.error.hint}` : ''}`);
      else if (isNewPassphraseError(result.error)) refuse('next', result.error.message);
      else setError(result.error);
      return;
    }
    setValues({ current: '', next: '', repeat: '' });
    setDone(true);
    announce('The vault passphrase was changed.');
    props.onChanged();
  };

  const field = (name: ChangeField, label: string, autoComplete: string, extra?: ReactNode): ReactNode => {
    const id = `${ids}-${name}`;
    const invalid = fieldError?.field === name;
    const describedBy = [name === 'next' ? `${ids}-strength` : '', invalid ? `${id}-error` : ''].join(' ').trim();
    return (
      <div className={`field${invalid ? ' invalid' : ''}`} data-field={name}>
        <label htmlFor={id}>{label}</label>
        <input
          ref={refs[name]}
          id={id}
          type="password"
          autoComplete={autoComplete}
          value={values[name]}
          onChange={(e) => {
            setValues((current) => ({ ...current, [name]: e.target.value }));
            setDone(false);
            if (fieldError?.field === name) setFieldError(null);
          }}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={describedBy || undefined}
          disabled={busy}
        />
        {extra}
        {invalid ? (
          <p id={`${id}-error`} className="field-error">
            {fieldError.text}
          </p>
        ) : null}
      </div>
    );
  };

  return (
    <form className="form change-passphrase" onSubmit={(event) => void onSubmit(event)} noValidate aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`}>Change the passphrase</h3>
      <p className="field-help">
        Every secret and cached token is encrypted again under the new passphrase. The old file stays whole until the new one is
        complete. A lost passphrase cannot be recovered.
      </p>
      {field('current', 'Current passphrase', 'current-password')}
      {field('next', 'New passphrase', 'new-password', <StrengthNote id={`${ids}-strength`} passphrase={values.next} strength={strength} />)}
      {field('repeat', 'Repeat the new passphrase', 'new-password')}
      {error ? (
        <div role="alert">
          <ErrorNote error={error} title="Not changed:" />
        </div>
      ) : null}
      {done ? (
        <p className="success-note" role="status">
          The passphrase was changed.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Changing…' : 'Change the passphrase'}
        </button>
      </div>
    </form>
  );
}
