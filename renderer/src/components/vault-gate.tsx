// The lock screen (docs/storage.md): while the file vault has no passphrase yet, or waits
// for it, the dashboard shows "Create a passphrase" or "Unlock" instead of the views. The same
// component runs in the browser (HTTP) and in the app's window (IPC): it only speaks the bridge's
// `vault:*` verbs. Settings show the backend and its file, with a Lock action (VaultSettings).
import { createContext, useCallback, useContext, useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { ErrorInfo, Result, VaultInfo } from '../../../common/contract.js';
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

/** A rough, local hint (nothing is sent anywhere): length counts most, then variety. */
export function passphraseStrength(passphrase: string): { level: 'empty' | 'weak' | 'fair' | 'strong'; text: string } {
  if (passphrase === '') return { level: 'empty', text: 'Use several words, or 12 characters or more.' };
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(passphrase)).length;
  const words = passphrase.trim().split(/\s+/).length;
  if (passphrase.length >= 20 || (passphrase.length >= 14 && (classes >= 3 || words >= 4))) return { level: 'strong', text: 'Strong.' };
  if (passphrase.length >= 10) return { level: 'fair', text: 'Fair: a few more words would make it strong.' };
  return { level: 'weak', text: 'Weak: easy to guess. Use several words, or 12 characters or more.' };
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
  const strength = passphraseStrength(passphrase);

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
    setFieldError(null);
    setBusy(true);
    const result = await bridge.invoke(creating ? 'vault:create' : 'vault:unlock', passphrase);
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
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
            {creating ? (
              <p id={`${ids}-strength`} className={`field-help strength strength-${strength.level}`} aria-live="polite">
                {strength.level === 'empty' ? strength.text : `Strength: ${strength.text}`}
              </p>
            ) : null}
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
    </section>
  );
}
