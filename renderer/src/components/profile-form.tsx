// Add and edit a profile (docs/desktop.md): pick a provider, then that provider's fields with the
// seed defaults as placeholders, secrets masked, and the same validateProfile the engine and CLI use,
// with each message next to its field. "Test" requests a token without saving.
import '../zod-jitless.js';
import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { ErrorInfo, ProfileConfig, ProfileSecrets, TestResult } from '../../../common/contract.js';
import {
  PROVIDER_IDS,
  PROVIDERS,
  authMethodOf,
  fieldApplies,
  type AuthMethod,
  isSecretSpec,
  type FieldSpec,
  type FieldType,
  type ProviderId,
  type SecretField,
} from '../../../common/providers.js';
import { secretFollowErrors } from '../../../common/profile-rules.js';
import { validateProfile, type FieldError } from '../../../common/validation.js';
import { useDashboard } from '../context.js';
import { useLoad } from '../store.js';
import { formatDuration } from '../format.js';
import { ErrorNote, LoadError, Loading } from './bits.js';

export interface FormValues {
  provider: ProviderId;
  id: string;
  name: string;
  /** Non-secret fields as typed; empty means "use the default". */
  fields: Record<string, string>;
  secrets: Partial<Record<SecretField, string>>;
}

/** Turns what was typed into the profile and secrets the contract expects, plus typing errors. */
export function buildInput(
  values: FormValues,
  original?: ProfileConfig,
): { profile: Record<string, unknown>; secrets: ProfileSecrets; errors: FieldError[] } {
  const profile: Record<string, unknown> = { id: values.id.trim(), name: values.name.trim(), provider: values.provider };
  const secrets: ProfileSecrets = {};
  const errors: FieldError[] = [];
  const method = authMethodOf({ provider: values.provider, authMethod: (values.fields.authMethod || undefined) as AuthMethod | undefined });
  for (const spec of PROVIDERS[values.provider].fields) {
    // A field of another client authentication method is neither shown nor sent (docs/client-auth.md).
    if (!fieldApplies(spec, method)) continue;
    if (isSecretSpec(spec)) {
      const secret = values.secrets[spec.field] ?? '';
      if (secret !== '') secrets[spec.field] = secret;
      continue;
    }
    const raw = (values.fields[spec.field] ?? '').trim();
    if (raw === '') continue;
    if (spec.type === 'number') {
      if (!/^\d+$/.test(raw)) errors.push({ field: spec.field, message: 'must be a whole number' });
      else profile[spec.field] = Number(raw);
    } else if (spec.type === 'params') {
      const params: Record<string, string> = {};
      for (const line of raw.split('\n').map((l) => l.trim()).filter(Boolean)) {
        const at = line.indexOf('=');
        if (at < 1) {
          errors.push({ field: spec.field, message: `"${line}" is not name=value` });
          break;
        }
        params[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      }
      profile[spec.field] = params;
    } else {
      profile[spec.field] = raw;
    }
  }
  if (original?.paused !== undefined) profile.paused = original.paused;
  return { profile, secrets, errors };
}

/** Every message at once: the schema's, then each provider's required fields (validateProfile). */
export function validateForm(values: FormValues, mode: 'add' | 'edit', original?: ProfileConfig) {
  const built = buildInput(values, original);
  const options = { requireSecrets: mode === 'add' };
  const first = validateProfile(built.profile, built.secrets, options);
  const errors = [...built.errors, ...(first.ok ? [] : first.errors)];
  // The server refuses the same; saying it on the changed field saves a round trip.
  if (first.ok && mode === 'edit') errors.push(...secretFollowErrors(original, first.profile, first.secrets));
  if (!first.ok) {
    // Required-field checks only run on a profile whose shape is valid: ask again with the fields
    // that failed left out, so "Client ID is required" shows beside "Token URL must be a URL".
    const failed = new Set(errors.map((e) => e.field));
    const probe: Record<string, unknown> = { ...built.profile };
    for (const field of failed) delete probe[field];
    if (failed.has('id')) probe.id = 'probe';
    if (failed.has('name')) probe.name = 'probe';
    const second = validateProfile(probe, built.secrets, options);
    if (!second.ok) errors.push(...second.errors);
  }
  const byField = new Map<string, FieldError>();
  for (const error of errors) if (!byField.has(error.field)) byField.set(error.field, error);
  return { profile: built.profile, secrets: built.secrets, errors: [...byField.values()] };
}

/** Whether `field` holds the same value in both (the provider's fields and secrets included). */
function sameField(a: FormValues, b: FormValues, field: string): boolean {
  if (field === 'id' || field === 'name' || field === 'provider') return a[field] === b[field];
  return a.provider === b.provider && a.fields[field] === b.fields[field] && a.secrets[field as SecretField] === b.secrets[field as SecretField];
}

function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

function valuesFrom(config: ProfileConfig): FormValues {
  const fields: Record<string, string> = {};
  for (const spec of PROVIDERS[config.provider].fields) {
    if (isSecretSpec(spec)) continue;
    const value = (config as Record<string, unknown>)[spec.field];
    if (value === undefined || value === null) continue;
    fields[spec.field] =
      spec.type === 'params'
        ? Object.entries(value as Record<string, string>).map(([k, v]) => `${k}=${v}`).join('\n')
        : String(value);
  }
  return { provider: config.provider, id: config.id, name: config.name, fields, secrets: {} };
}

export function ProfileFormView(props: { mode: 'add' } | { mode: 'edit'; id: string }): ReactNode {
  const { bridge } = useDashboard();
  const editId = props.mode === 'edit' ? props.id : null;
  const { load: loaded, retry } = useLoad<ProfileConfig | null>(editId ? () => bridge.invoke('profiles:get', editId) : null, [bridge, editId], null);

  return (
    <section className="view narrow" aria-labelledby="form-title">
      <div className="view-head">
        <h1 id="form-title" tabIndex={-1}>
          {editId ? 'Edit profile' : 'Add a profile'}
        </h1>
        <a className="button quiet" href="#/profiles">
          Back to profiles
        </a>
      </div>
      {loaded.state === 'loading' ? <Loading what="the profile" /> : null}
      {loaded.state === 'error' ? (
        <LoadError what="the profile" error={loaded.error} onRetry={retry} />
      ) : null}
      {loaded.state === 'ready' ? (
        <ProfileForm mode={editId ? 'edit' : 'add'} {...(loaded.value ? { original: loaded.value } : {})} />
      ) : null}
    </section>
  );
}

export interface ProfileFormProps {
  mode: 'add' | 'edit';
  original?: ProfileConfig;
  /** Where to go after saving; the app passes its router. */
  onSaved?: (id: string) => void;
}

export function ProfileForm(props: ProfileFormProps): ReactNode {
  const { bridge, store, announce } = useDashboard();
  const { mode, original } = props;
  const [values, setValues] = useState<FormValues>(() =>
    original ? valuesFrom(original) : { provider: 'redpanda', id: '', name: '', fields: {}, secrets: {} },
  );
  const [idEdited, setIdEdited] = useState(mode === 'edit');
  const [showErrors, setShowErrors] = useState(false);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState<'test' | 'save' | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const [saveError, setSaveError] = useState<ErrorInfo | null>(null);
  // A refusal the server tied to one field (a taken id): shown there until that field changes.
  const [serverFieldError, setServerFieldError] = useState<{ field: string; message: string; values: FormValues } | null>(null);
  const form = useRef<HTMLFormElement>(null);

  const spec = PROVIDERS[values.provider];
  const validation = validateForm(values, mode, original);
  const serverError = serverFieldError !== null && sameField(serverFieldError.values, values, serverFieldError.field) ? serverFieldError : null;
  const errorFor = (field: string): string | undefined =>
    (showErrors || touched.has(field) ? validation.errors.find((e) => e.field === field)?.message : undefined) ??
    (serverError?.field === field ? serverError.message : undefined);
  // Adding never replaces (the server refuses a taken id): offer the Edit that would.
  const takenId = mode === 'add' && serverError?.field === 'id' ? values.id.trim() : null;
  const formLevel = validation.errors.filter((e) => !['id', 'name', 'provider', ...spec.fields.map((f) => f.field)].includes(e.field));

  const update = (patch: Partial<FormValues>): void => {
    setValues((current) => ({ ...current, ...patch }));
    setTest(null);
  };
  const touch = (field: string) => () => setTouched((current) => new Set(current).add(field));

  const checked = (): { profile: ProfileConfig; secrets: ProfileSecrets } | null => {
    setShowErrors(true);
    if (validation.errors.length === 0) {
      return { profile: validation.profile as ProfileConfig, secrets: validation.secrets };
    }
    // Move focus to the first field with a message so keyboard and screen-reader users land on it.
    requestAnimationFrame(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
    return null;
  };

  const onTest = async (): Promise<void> => {
    const input = checked();
    if (!input) return;
    setBusy('test');
    setTest(null);
    const result = await bridge.invoke('profiles:test', input);
    setBusy(null);
    const outcome: TestResult = result.ok ? result.value : { ok: false, error: result.error };
    setTest(outcome);
    announce(outcome.ok ? 'Test succeeded: a token was issued.' : `Test failed: ${outcome.error?.message ?? 'unknown error'}`);
  };

  const onSave = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const input = checked();
    if (!input) return;
    setBusy('save');
    setSaveError(null);
    setServerFieldError(null);
    const result = await bridge.invoke('profiles:save', mode === 'add' ? { ...input, mode: 'create' } : input);
    setBusy(null);
    if (!result.ok) {
      const field = result.error.field;
      if (field !== undefined && form.current?.querySelector(`[data-field="${field}"]`)) {
        setServerFieldError({ field, message: result.error.hint === undefined ? result.error.message : `${result.error.message} ${result.error.hint}`, values });
        requestAnimationFrame(() => form.current?.querySelector<HTMLElement>(`[data-field="${field}"] :is(input, textarea, select)`)?.focus());
      } else {
        setSaveError(result.error);
      }
      announce(`Saving failed: ${result.error.message}`);
      return;
    }
    store.upsertProfile(result.value);
    announce(`${result.value.name} saved.`);
    if (props.onSaved) props.onSaved(result.value.id);
    else window.location.hash = `#/profiles/${encodeURIComponent(result.value.id)}`;
  };

  return (
    <form ref={form} className="form" noValidate onSubmit={(e) => void onSave(e)} aria-label={mode === 'add' ? 'New profile' : 'Edit profile'}>
      <Field label="Provider" name="provider" required error={errorFor('provider')}>
        {(a) => (
          <select
            {...a}
            value={values.provider}
            disabled={mode === 'edit'}
            onChange={(e) => update({ provider: e.target.value as ProviderId, fields: {}, secrets: {} })}
          >
            {PROVIDER_IDS.map((id) => (
              <option key={id} value={id}>
                {PROVIDERS[id].label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <p className="muted small provider-summary">{spec.summary}</p>

      <Field label="Display name" name="name" required error={errorFor('name')}>
        {(a) => (
          <input
            {...a}
            type="text"
            autoComplete="off"
            value={values.name}
            onBlur={touch('name')}
            onChange={(e) =>
              update(idEdited ? { name: e.target.value } : { name: e.target.value, id: slugify(e.target.value) })
            }
          />
        )}
      </Field>
      <Field
        label="Profile id"
        name="id"
        required
        help="Used by the CLI and the loopback API: a-z, 0-9 and -."
        error={errorFor('id')}
        {...(takenId
          ? {
              errorAction: (
                <a className="button quiet" href={`#/edit/${encodeURIComponent(takenId)}`}>
                  Edit the profile “{takenId}” instead
                </a>
              ),
            }
          : {})}
      >
        {(a) => (
          <input
            {...a}
            type="text"
            autoComplete="off"
            spellCheck={false}
            readOnly={mode === 'edit'}
            value={values.id}
            onBlur={touch('id')}
            onChange={(e) => {
              setIdEdited(true);
              update({ id: e.target.value });
            }}
          />
        )}
      </Field>

      {spec.fields.filter((field) => fieldApplies(field, authMethodOf({ provider: values.provider, authMethod: (values.fields.authMethod || undefined) as AuthMethod | undefined }))).map((field) => (
        <ProviderField
          key={`${values.provider}-${field.field}`}
          spec={field}
          provider={values.provider}
          mode={mode}
          value={isSecretSpec(field) ? (values.secrets[field.field] ?? '') : (values.fields[field.field] ?? '')}
          error={errorFor(field.field)}
          onBlur={touch(field.field)}
          onChange={(value) =>
            isSecretSpec(field)
              ? update({ secrets: { ...values.secrets, [field.field]: value } })
              : update({ fields: { ...values.fields, [field.field]: value } })
          }
        />
      ))}

      {showErrors && formLevel.length > 0 ? (
        <div role="alert" className="error-note">
          {formLevel.map((e) => (
            <p key={e.field}>
              {e.field}: {e.message}
            </p>
          ))}
        </div>
      ) : null}

      <div className="test-result" aria-live="polite" data-testid="test-result">
        {busy === 'test' ? <p>Requesting a token…</p> : null}
        {test?.ok ? (
          <div className="success-note">
            <p>
              <strong>Test succeeded.</strong> The provider issued a {test.token?.token_type ?? 'token'}
              {test.token?.expires_in != null ? ` token that lasts ${formatDuration(test.token.expires_in * 1000)}` : ' token'}
              {test.token?.scope ? ` with scope “${test.token.scope}”` : ''}. Nothing was saved yet.
            </p>
          </div>
        ) : null}
        {test && !test.ok && test.error ? <ErrorNote error={test.error} title="Test failed:" /> : null}
      </div>

      {saveError ? (
        <div role="alert">
          <ErrorNote error={saveError} title="Could not save:" />
        </div>
      ) : null}

      <div className="form-actions">
        <button type="button" className="button" disabled={busy !== null} onClick={() => void onTest()}>
          {busy === 'test' ? 'Testing…' : 'Test'}
        </button>
        <button type="submit" className="button primary" disabled={busy !== null}>
          {busy === 'save' ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

interface ControlProps {
  id: string;
  name: string;
  'aria-invalid': boolean;
  'aria-describedby'?: string;
  'aria-required'?: boolean;
}

function Field(props: {
  label: string;
  name: string;
  required?: boolean;
  help?: string;
  error: string | undefined;
  /** Offered under the error (e.g. editing the profile whose id is taken). */
  errorAction?: ReactNode;
  children: (control: ControlProps) => ReactNode;
}): ReactNode {
  const base = useId();
  const id = `${base}-${props.name}`;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy = [props.help ? helpId : null, props.error ? errorId : null].filter(Boolean).join(' ');
  return (
    <div className={`field${props.error ? ' invalid' : ''}`} data-field={props.name}>
      <label htmlFor={id}>
        {props.label}
        {props.required ? (
          <span className="required" aria-hidden="true">
            {' '}
            *
          </span>
        ) : (
          <span className="optional"> (optional)</span>
        )}
      </label>
      {props.children({
        id,
        name: props.name,
        'aria-invalid': Boolean(props.error),
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        ...(props.required ? { 'aria-required': true } : {}),
      })}
      {props.help ? (
        <p id={helpId} className="field-help">
          {props.help}
        </p>
      ) : null}
      {props.error ? (
        <p id={errorId} className="field-error">
          {props.error}
        </p>
      ) : null}
      {props.error && props.errorAction ? <p className="field-action">{props.errorAction}</p> : null}
    </div>
  );
}

/** The <input> type for each field type the catalogue names (choice and params have their own elements). */
const INPUT_TYPES: Record<FieldType, 'text' | 'password' | 'url'> = {
  text: 'text',
  secret: 'password',
  url: 'url',
  'organization-scope': 'text',
  // type=number would take 1e3 and -5 and spin on the wheel; a whole number is checked on save.
  number: 'text',
  choice: 'text',
  params: 'text',
  pem: 'text',
  path: 'text',
};

function ProviderField(props: {
  spec: FieldSpec;
  provider: ProviderId;
  mode: 'add' | 'edit';
  value: string;
  error: string | undefined;
  onBlur: () => void;
  onChange: (value: string) => void;
}): ReactNode {
  const { spec, provider, mode } = props;
  const defaults = PROVIDERS[provider].defaults as Record<string, unknown>;
  const fallback = defaults[spec.field];
  const secret = isSecretSpec(spec);
  const placeholder = secret
    ? mode === 'edit'
      ? 'Unchanged (leave blank to keep the stored secret)'
      : ''
    : fallback !== undefined
      ? String(fallback)
      : spec.type === 'organization-scope'
        ? 'organization:<uuid>'
        : '';
  const help = [spec.help, !secret && fallback !== undefined ? 'Leave blank for the default shown.' : null]
    .filter(Boolean)
    .join(' ');
  const required = spec.required && (!secret || mode === 'add');
  return (
    <Field label={spec.label} name={spec.field} required={required} error={props.error} {...(help ? { help } : {})}>
      {(a) => {
        if (spec.type === 'choice') {
          return (
            <select {...a} value={props.value} onBlur={props.onBlur} onChange={(e) => props.onChange(e.target.value)}>
              <option value="">Default{fallback ? ` (${String(fallback)})` : ''}</option>
              {(spec.choices ?? []).map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          );
        }
        if (spec.pem === true) {
          // A key or certificate is pasted, or read from a file here in the page; the file never leaves
          // it except as this text, sent once with the save.
          return (
            <span className="pem-field">
              <textarea
                {...a}
                rows={4}
                spellCheck={false}
                autoComplete="off"
                placeholder={secret && mode === 'edit' ? 'Unchanged (leave blank to keep the stored key)' : '-----BEGIN …'}
                value={props.value}
                onBlur={props.onBlur}
                onChange={(e) => props.onChange(e.target.value)}
              />
              <input
                type="file"
                aria-label={`${spec.label} from a file`}
                accept=".pem,.key,.crt,.cer,.json,text/plain"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (file !== undefined) void file.text().then((text) => props.onChange(text));
                  e.target.value = '';
                }}
              />
            </span>
          );
        }
        if (spec.type === 'params') {
          return (
            <textarea
              {...a}
              rows={3}
              spellCheck={false}
              placeholder="name=value, one per line"
              value={props.value}
              onBlur={props.onBlur}
              onChange={(e) => props.onChange(e.target.value)}
            />
          );
        }
        return (
          <input
            {...a}
            type={INPUT_TYPES[spec.type]}
            inputMode={spec.type === 'number' ? 'numeric' : undefined}
            autoComplete={secret ? 'new-password' : 'off'}
            spellCheck={false}
            placeholder={placeholder}
            value={props.value}
            onBlur={props.onBlur}
            onChange={(e) => props.onChange(e.target.value)}
          />
        );
      }}
    </Field>
  );
}
