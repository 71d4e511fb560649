// "Use from an OAuth client": a profile's token relay as an OAuth client sees it,
// the token URL and the issuer (docs/http-api.md, "The token relay"), a client key limited to this
// profile (shown once, as in settings), and short examples with copy buttons. The URLs and examples
// come from common/relay.ts, the same words `tokentray relay ID` prints; where the API listens comes
// from `api:address` (the same loopback port in the app and headless mode).
import '../zod-jitless.js';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { ErrorInfo, ProfileConfig, Result } from '../../../common/contract.js';
import { relayAudience, relayEndpoints, relayExamples, relayRefusalFor, type RelayEndpoints } from '../../../common/relay.js';
import { createClientKey } from '../api/client-keys.js';
import { useDashboard } from '../context.js';
import { useDashboardState, useLoad } from '../store.js';
import { ErrorNote, LoadError, Loading, NewKeyNotice, ProviderMark } from './bits.js';

export function RelayPanel(props: { id: string }): ReactNode {
  const { bridge, store } = useDashboard();
  const { profiles } = useDashboardState(store);
  const status = profiles.state === 'ready' ? profiles.value.find((p) => p.id === props.id) : undefined;
  const { load: loaded, retry } = useLoad(
    () =>
      Promise.all([bridge.invoke('profiles:get', props.id), bridge.invoke('api:address')]).then(([profile, address]): Result<{ profile: ProfileConfig; baseUrl: string | null }> => {
        if (!profile.ok) return profile;
        if (!address.ok) return address;
        return { ok: true, value: { profile: profile.value, baseUrl: address.value.baseUrl } };
      }),
    [bridge, props.id],
  );

  const name = status?.name ?? (loaded.state === 'ready' ? loaded.value.profile.name : props.id);
  return (
    <section className="view narrow" aria-labelledby="relay-title">
      <div className="view-head">
        <h1 id="relay-title" tabIndex={-1}>
          Use from an OAuth client
        </h1>
        <a className="button quiet" href={`#/profiles/${encodeURIComponent(props.id)}`}>
          Back to profiles
        </a>
      </div>
      <div className="inspect-profile">
        {status ? <ProviderMark provider={status.provider} /> : null}
        <strong>{name}</strong>
        <span className="muted">{props.id}</span>
      </div>
      <p>
        Programs that request their own client-credentials tokens (the Camunda SDKs and zbctl, Postman, Bruno,
        openid-client) can use Tokentray as their token URL. They all share this profile&apos;s one token, and the
        real client secret stays in the vault: the program authenticates with a Tokentray client key instead.
      </p>
      {loaded.state === 'loading' ? <Loading what="the relay's address" /> : null}
      {loaded.state === 'error' ? <LoadError what="the profile" error={loaded.error} onRetry={retry} /> : null}
      {loaded.state === 'ready' ? <RelayDetails profile={loaded.value.profile} baseUrl={loaded.value.baseUrl} /> : null}
    </section>
  );
}

function RelayDetails(props: { profile: ProfileConfig; baseUrl: string | null }): ReactNode {
  const { profile, baseUrl } = props;
  const refusal = relayRefusalFor(profile);
  if (refusal !== null) {
    return (
      <div className="relay-refusal" role="note" data-testid="relay-refusal">
        <h2>Not available for this profile</h2>
        <p>{refusal.replace('{id}', profile.id)}</p>
        <p className="muted">
          From a terminal, <code>tokentray headers {profile.id}</code> prints the headers to attach.
        </p>
      </div>
    );
  }
  if (baseUrl === null) {
    return (
      <ErrorNote
        role="alert"
        error={{ kind: 'app_unavailable', message: 'The loopback API is not listening, so there is no token URL yet.', hint: 'Restart Tokentray, or check that its port is free.' }}
      />
    );
  }
  return <RelayUsage profile={profile} endpoints={relayEndpoints(baseUrl, profile.id)} />;
}

function RelayUsage(props: { profile: ProfileConfig; endpoints: RelayEndpoints }): ReactNode {
  const { profile, endpoints } = props;
  const { bridge, clipboard, announce } = useDashboard();
  const ids = useId();
  const [keyName, setKeyName] = useState(`${profile.id}-client`.slice(0, 64));
  const [nameError, setNameError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [lastName, setLastName] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const audience = relayAudience(profile);
  const examples = relayExamples(endpoints, profile, { clientId: created?.name ?? lastName, clientSecret: created?.key });

  const copy = async (text: string, what: string): Promise<void> => {
    const result = await clipboard.copyText(text);
    if (result.ok) announce(`${what} copied to the clipboard.`);
    else setError(result.error);
  };

  const create = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    // Limited to this profile: the key can fetch no other profile's token (docs/http-api.md).
    const outcome = await createClientKey(bridge, keyName, [profile.id]);
    setBusy(false);
    setNameError(outcome.kind === 'invalid-name' ? outcome.message : null);
    if (outcome.kind === 'failed') setError(outcome.error);
    if (outcome.kind !== 'created') return;
    setCreated({ name: outcome.client.name, key: outcome.key });
    setLastName(outcome.client.name);
    announce(`Client key ${outcome.client.name} created for ${profile.id}. Copy it now: it is shown only once.`);
  };

  const urlRow = (label: string, value: string, what: string, copyLabel: string, testId: string): ReactNode => (
    <div>
      <dt id={`${ids}-${testId}-label`}>{label}</dt>
      <dd>
        <code className="token-text" data-testid={testId} aria-labelledby={`${ids}-${testId}-label`}>
          {value}
        </code>
        <button type="button" className="button small" onClick={() => void copy(value, what)}>
          {copyLabel}
        </button>
      </dd>
    </div>
  );

  return (
    <div className="relay-usage">
      <h2>Token URL and issuer</h2>
      <dl className="relay-urls">
        {urlRow('Token URL', endpoints.tokenUrl, 'Token URL', 'Copy token URL', 'relay-token-url')}
        {urlRow('Issuer (for clients that discover the token URL, RFC 8414)', endpoints.issuer, 'Issuer', 'Copy issuer', 'relay-issuer')}
        {audience !== undefined ? (
          <div>
            <dt>Audience</dt>
            <dd>
              <code>{audience}</code> <span className="muted">(leave it out, or send exactly this)</span>
            </dd>
          </div>
        ) : null}
      </dl>

      <h2>Client key</h2>
      <p className="muted">
        The program sends a Tokentray client key as its client secret and the key&apos;s name as its client id. A key made
        here may fetch this profile&apos;s token and no other.
      </p>
      {created ? (
        <NewKeyNotice
          name={created.name}
          secret={created.key}
          testId="relay-new-key"
          note="The examples below include it until you press Done."
          onCopy={() => void copy(created.key, 'Client key')}
          onDone={() => setCreated(null)}
        />
      ) : (
        <form className="form inline-form" onSubmit={(e) => void create(e)} noValidate aria-label={`Create a client key for ${profile.id}`}>
          <div className={`field${nameError ? ' invalid' : ''}`}>
            <label htmlFor={`${ids}-key-name`}>Key name (the client id)</label>
            <input
              id={`${ids}-key-name`}
              type="text"
              autoComplete="off"
              value={keyName}
              aria-invalid={Boolean(nameError)}
              aria-describedby={nameError ? `${ids}-key-name-error` : undefined}
              onChange={(e) => setKeyName(e.target.value)}
            />
            {nameError ? (
              <p className="field-error" id={`${ids}-key-name-error`}>
                {nameError}
              </p>
            ) : null}
          </div>
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? 'Creating…' : `Create a key for ${profile.id}`}
            </button>
          </div>
        </form>
      )}
      {error ? (
        <div role="alert">
          <ErrorNote error={error} />
        </div>
      ) : null}

      <h2>Examples</h2>
      <Example title="Camunda SDK (environment)" what="The environment" copyLabel="Copy environment" text={examples.camundaEnv} testId="relay-example-env" onCopy={copy} />
      <Example title="curl (JSON body, as in Camunda's docs)" what="The curl command" copyLabel="Copy curl command" text={examples.curl} testId="relay-example-curl" onCopy={copy} />
      <Example title="Postman (Authorization tab)" what="The Postman settings" copyLabel="Copy Postman settings" text={examples.postman} testId="relay-example-postman" onCopy={copy} />
    </div>
  );
}

function Example(props: { title: string; what: string; copyLabel: string; text: string; testId: string; onCopy: (text: string, what: string) => Promise<void> }): ReactNode {
  const ids = useId();
  return (
    <section className="relay-example" aria-labelledby={`${ids}-title`}>
      <div className="relay-example-head">
        <h3 id={`${ids}-title`}>{props.title}</h3>
        <button type="button" className="button small" onClick={() => void props.onCopy(props.text, props.what)}>
          {props.copyLabel}
        </button>
      </div>
      {/* Scrollable, so it must be reachable by keyboard (axe scrollable-region-focusable). */}
      <pre className="json" data-testid={props.testId} tabIndex={0} aria-labelledby={`${ids}-title`}>
        {props.text}
      </pre>
    </section>
  );
}
