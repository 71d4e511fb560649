// The add/edit form: every provider's required fields, bad URLs and ids get a message next to the
// field (the shared validateProfile), secrets stay masked, and Test/Save go through the bridge.
import './setup-dom.js';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, cleanup, fireEvent, screen, waitFor, within } from './testing.js';
import type { ProfileConfig, ProfileStatus } from '../../common/contract.js';
import { authMethodOf, fieldApplies, PROVIDER_IDS, PROVIDERS } from '../../common/providers.js';
import { buildInput, ProfileForm, ProfileFormView } from '../../renderer/src/components/profile-form.js';
import { createFakeBridge, ok } from './fake-bridge.js';
import { renderWithBridge } from './render.js';
import { statusFixture } from '../support/status-fixture.js';

afterEach(() => cleanup());

function fieldBox(container: HTMLElement, field: string): HTMLElement {
  const box = container.querySelector<HTMLElement>(`[data-field="${field}"]`);
  assert.ok(box, `field ${field} is rendered`);
  return box;
}

function errorOf(container: HTMLElement, field: string): string | null {
  return fieldBox(container, field).querySelector('.field-error')?.textContent ?? null;
}

function controlOf(container: HTMLElement, field: string): HTMLInputElement {
  const control = fieldBox(container, field).querySelector<HTMLInputElement>('input, select, textarea');
  assert.ok(control);
  return control;
}

function type(container: HTMLElement, field: string, value: string): void {
  fireEvent.change(controlOf(container, field), { target: { value } });
}

const status = (id: string, name: string, provider: ProfileStatus['provider']): ProfileStatus =>
  statusFixture({ id, name, provider, state: 'fresh' });

describe('profile form validation per provider', () => {
  for (const provider of PROVIDER_IDS) {
    it(`${provider}: every required field gets its message beside it, and nothing is saved`, async () => {
      const bridge = createFakeBridge({ 'profiles:save': () => ok(status('x', 'x', provider)) });
      const { container } = renderWithBridge(<ProfileForm mode="add" />, bridge);
      fireEvent.change(controlOf(container, 'provider'), { target: { value: provider } });
      fireEvent.click(screen.getByRole('button', { name: 'Save' }));

      const spec = { ...PROVIDERS[provider], fields: PROVIDERS[provider].fields.filter((f) => fieldApplies(f, authMethodOf({ provider }))) };
      for (const field of spec.fields.filter((f) => f.required)) {
        assert.equal(errorOf(container, field.field), `${field.label} is required for ${spec.label}`, field.field);
        const control = controlOf(container, field.field);
        assert.equal(control.getAttribute('aria-invalid'), 'true');
        // The message is announced with the field: aria-describedby points at it.
        const describedBy = control.getAttribute('aria-describedby') ?? '';
        assert.ok(describedBy.split(' ').some((id) => document.getElementById(id)?.classList.contains('field-error')));
      }
      for (const field of spec.fields.filter((f) => !f.required)) {
        assert.equal(errorOf(container, field.field), null, `${field.field} is optional`);
      }
      assert.equal(errorOf(container, 'name'), 'must not be empty');
      assert.match(errorOf(container, 'id') ?? '', /a-z, 0-9 and -/);
      assert.equal(bridge.callsTo('profiles:save').length, 0);
    });
  }

  it('defaults from the seeds are shown as placeholders, not values', () => {
    const { container } = renderWithBridge(<ProfileForm mode="add" />, createFakeBridge());
    fireEvent.change(controlOf(container, 'provider'), { target: { value: 'acquia' } });
    const tokenUrl = controlOf(container, 'tokenUrl');
    assert.equal(tokenUrl.placeholder, 'https://accounts.acquia.com/api/auth/oauth/token');
    assert.equal(tokenUrl.value, '');
    fireEvent.change(controlOf(container, 'provider'), { target: { value: 'camunda-console' } });
    assert.equal(controlOf(container, 'audience').placeholder, 'api.cloud.camunda.io');
  });

  it('a bad URL and a bad id are reported beside their fields, together with missing fields', () => {
    const { container } = renderWithBridge(<ProfileForm mode="add" />, createFakeBridge());
    fireEvent.change(controlOf(container, 'provider'), { target: { value: 'oauth2' } });
    type(container, 'name', 'My API');
    type(container, 'id', 'My API!');
    type(container, 'tokenUrl', 'ftp://example.com/token');
    type(container, 'apiUrl', 'not a url');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    assert.equal(errorOf(container, 'tokenUrl'), 'must be an http:// or https:// URL');
    assert.equal(errorOf(container, 'apiUrl'), 'must be an http:// or https:// URL');
    assert.equal(errorOf(container, 'id'), 'must be 1-64 characters of a-z, 0-9 and -');
    assert.equal(errorOf(container, 'clientId'), 'Client ID is required for OAuth 2.0 client credentials');
    assert.equal(errorOf(container, 'name'), null);
  });

  it('the id follows the name as a slug until it is edited by hand', () => {
    const { container } = renderWithBridge(<ProfileForm mode="add" />, createFakeBridge());
    type(container, 'name', 'Prod Cluster (EU)');
    assert.equal(controlOf(container, 'id').value, 'prod-cluster-eu');
    type(container, 'id', 'mine');
    type(container, 'name', 'Something else');
    assert.equal(controlOf(container, 'id').value, 'mine');
  });

  it('a number field rejects text with a plain message', () => {
    const { container } = renderWithBridge(<ProfileForm mode="add" />, createFakeBridge());
    fireEvent.change(controlOf(container, 'provider'), { target: { value: 'camunda-operate-cookie' } });
    type(container, 'sessionLifetimeSec', 'ten minutes');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    assert.equal(errorOf(container, 'sessionLifetimeSec'), 'must be a whole number');
  });
});

describe('secret fields', () => {
  it('are masked password inputs and their value is never rendered as text', () => {
    const { container } = renderWithBridge(<ProfileForm mode="add" />, createFakeBridge());
    const secret = controlOf(container, 'clientSecret');
    assert.equal(secret.type, 'password');
    assert.equal(secret.getAttribute('autocomplete'), 'new-password');
    type(container, 'clientSecret', 's3cr3t-value');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    assert.ok(!container.textContent?.includes('s3cr3t-value'));
    fireEvent.change(controlOf(container, 'provider'), { target: { value: 'camunda-operate-cookie' } });
    assert.equal(controlOf(container, 'password').type, 'password');
  });
});

async function fillRedpanda(container: HTMLElement): Promise<void> {
  type(container, 'name', 'Redpanda prod');
  type(container, 'clientId', 'cid-1');
  type(container, 'clientSecret', 'top-secret');
  type(container, 'tokenUrl', 'http://127.0.0.1:9/oauth/token');
}

describe('Test and Save', () => {
  it('Test sends the profile and secrets to profiles:test and shows the token it got', async () => {
    const bridge = createFakeBridge({
      'profiles:test': () => ok({ ok: true, token: { token_type: 'Bearer', expires_at: null, expires_in: 3600, scope: 'cloud' } }),
    });
    const { container } = renderWithBridge(<ProfileForm mode="add" />, bridge);
    await fillRedpanda(container);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Test' })));
    await waitFor(() => assert.match(screen.getByTestId('test-result').textContent ?? '', /Test succeeded/));
    assert.match(screen.getByTestId('test-result').textContent ?? '', /1 h 00 min/);
    assert.deepEqual(bridge.callsTo('profiles:test'), [
      [
        {
          profile: { id: 'redpanda-prod', name: 'Redpanda prod', provider: 'redpanda', clientId: 'cid-1', tokenUrl: 'http://127.0.0.1:9/oauth/token' },
          secrets: { clientSecret: 'top-secret' },
        },
      ],
    ]);
    assert.equal(bridge.callsTo('profiles:save').length, 0);
  });

  it('a failed Test shows the error and its hint', async () => {
    const bridge = createFakeBridge({
      'profiles:test': () =>
        ok({
          ok: false,
          error: { kind: 'invalid_client', message: 'The client id or secret was rejected.', hint: 'Check the client secret.' },
        }),
    });
    const { container } = renderWithBridge(<ProfileForm mode="add" />, bridge);
    await fillRedpanda(container);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Test' })));
    const result = await waitFor(() => {
      const text = screen.getByTestId('test-result').textContent ?? '';
      assert.match(text, /Test failed/);
      return text;
    });
    assert.match(result, /The client id or secret was rejected\./);
    assert.match(result, /Check the client secret\./);
  });

  it('Save sends profiles:save, puts the answer in the store and goes to the profile', async () => {
    const saved = status('redpanda-prod', 'Redpanda prod', 'redpanda');
    const bridge = createFakeBridge({ 'profiles:save': () => ok(saved) });
    let savedId = '';
    const { container, store } = renderWithBridge(<ProfileForm mode="add" onSaved={(id) => (savedId = id)} />, bridge);
    store.apply({ type: 'settings', settings: { port: 1, leadTimeSec: 10, clipboardClearSec: 0, startAtLogin: false, notifications: true } });
    await act(async () => {
      await store.loadProfiles();
    });
    await fillRedpanda(container);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    await waitFor(() => assert.equal(savedId, 'redpanda-prod'));
    const [input] = bridge.callsTo('profiles:save')[0] ?? [];
    assert.deepEqual((input as { secrets: unknown }).secrets, { clientSecret: 'top-secret' });
  });

  it('a refused Save shows the error with its hint and keeps the form', async () => {
    const bridge = createFakeBridge({
      'profiles:save': () => ({ ok: false, error: { kind: 'keychain_unavailable', message: 'The keychain is locked.', hint: 'Unlock it and try again.' } }),
    });
    const { container } = renderWithBridge(<ProfileForm mode="add" />, bridge);
    await fillRedpanda(container);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    const alert = await waitFor(() => {
      const found = screen.getByRole('alert');
      assert.match(found.textContent ?? '', /The keychain is locked\./);
      return found;
    });
    assert.match(alert.textContent ?? '', /Unlock it and try again\./);
    assert.equal(controlOf(container, 'clientId').value, 'cid-1');
  });
});

describe('Add never replaces', () => {
  it('sends mode create; a taken id is refused beside the id field with an offer to edit, and a new id clears it', async () => {
    let calls = 0;
    const bridge = createFakeBridge({
      'profiles:save': () => {
        calls += 1;
        return calls === 1
          ? { ok: false, error: { kind: 'usage', message: 'A profile with this id already exists: "redpanda-prod".', hint: 'Edit it.', field: 'id' } }
          : ok(status('redpanda-prod-2', 'Redpanda prod', 'redpanda'));
      },
    });
    let savedId = '';
    const { container } = renderWithBridge(<ProfileForm mode="add" onSaved={(id) => (savedId = id)} />, bridge);
    await fillRedpanda(container);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    await waitFor(() => assert.match(errorOf(container, 'id') ?? '', /^A profile with this id already exists/));
    const [input] = bridge.callsTo('profiles:save')[0] ?? [];
    assert.equal((input as { mode?: string }).mode, 'create');
    assert.equal(controlOf(container, 'id').getAttribute('aria-invalid'), 'true');
    const edit = within(fieldBox(container, 'id')).getByRole('link', { name: /Edit the profile “redpanda-prod” instead/ });
    assert.equal(edit.getAttribute('href'), '#/edit/redpanda-prod');
    assert.equal(screen.queryByRole('alert'), null, 'the refusal is the field error, not a form-level one');
    assert.equal(savedId, '', 'nothing saved, the form stays');
    assert.equal(controlOf(container, 'clientSecret').value, 'top-secret');

    type(container, 'id', 'redpanda-prod-2');
    assert.equal(errorOf(container, 'id'), null);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    await waitFor(() => assert.equal(savedId, 'redpanda-prod-2'));
  });

  it('Edit sends no mode: it replaces the profile it loaded', async () => {
    const config: ProfileConfig = { id: 'rp', name: 'RP', provider: 'redpanda', clientId: 'c' };
    const bridge = createFakeBridge({ 'profiles:get': () => ok(config), 'profiles:save': () => ok(status('rp', 'RP', 'redpanda')) });
    renderWithBridge(<ProfileFormView mode="edit" id="rp" />, bridge);
    const form = await screen.findByRole('form', { name: 'Edit profile' });
    await act(async () => fireEvent.click(within(form).getByRole('button', { name: 'Save' })));
    await waitFor(() => assert.equal(bridge.callsTo('profiles:save').length, 1));
    assert.equal((bridge.callsTo('profiles:save')[0]?.[0] as { mode?: string }).mode, undefined);
  });
});

describe('editing', () => {
  const config: ProfileConfig = {
    id: 'acq',
    name: 'Acquia',
    provider: 'acquia',
    clientId: 'key-1',
    scope: 'organization:1234',
    paused: true,
  };

  it('loads the profile, locks provider and id, and lets the secret stay blank to keep it', async () => {
    const bridge = createFakeBridge({ 'profiles:get': () => ok(config), 'profiles:save': () => ok(status('acq', 'Acquia', 'acquia')) });
    renderWithBridge(<ProfileFormView mode="edit" id="acq" />, bridge);
    const form = await screen.findByRole('form', { name: 'Edit profile' });
    const secret = within(form).getByLabelText(/API secret/) as HTMLInputElement;
    assert.equal(secret.type, 'password');
    assert.equal(secret.value, '');
    assert.match(secret.placeholder, /leave blank to keep/);
    assert.equal((within(form).getByLabelText(/Provider/) as HTMLSelectElement).disabled, true);
    assert.equal((within(form).getByLabelText(/Profile id/) as HTMLInputElement).readOnly, true);
    assert.equal((within(form).getByLabelText(/Scope/) as HTMLInputElement).value, 'organization:1234');

    await act(async () => fireEvent.click(within(form).getByRole('button', { name: 'Save' })));
    await waitFor(() => assert.equal(bridge.callsTo('profiles:save').length, 1));
    assert.deepEqual(bridge.callsTo('profiles:save')[0], [
      { profile: { id: 'acq', name: 'Acquia', provider: 'acquia', clientId: 'key-1', scope: 'organization:1234', paused: true }, secrets: {} },
    ]);
  });

  it('a changed token URL without the secret is refused on that field, and allowed once the secret is typed again', async () => {
    const bridge = createFakeBridge({ 'profiles:get': () => ok(config), 'profiles:save': () => ok(status('acq', 'Acquia', 'acquia')) });
    const { container } = renderWithBridge(<ProfileFormView mode="edit" id="acq" />, bridge);
    const form = await screen.findByRole('form', { name: 'Edit profile' });
    type(container, 'tokenUrl', 'https://evil.example/token');
    await act(async () => fireEvent.click(within(form).getByRole('button', { name: 'Save' })));
    assert.equal(errorOf(container, 'tokenUrl'), 'Token URL changed: enter the secret again to send it to the new address');
    assert.equal(bridge.callsTo('profiles:save').length, 0);
    // Spelling out the default is no change; name-only edits never need the secret.
    type(container, 'tokenUrl', PROVIDERS.acquia.defaults.tokenUrl ?? '');
    type(container, 'name', 'Acquia renamed');
    assert.equal(errorOf(container, 'tokenUrl'), null);
    type(container, 'tokenUrl', 'https://evil.example/token');
    type(container, 'clientSecret', 'typed again');
    await act(async () => fireEvent.click(within(form).getByRole('button', { name: 'Save' })));
    await waitFor(() => assert.equal(bridge.callsTo('profiles:save').length, 1));
    assert.equal(errorOf(container, 'tokenUrl'), null);
  });

  it('a profile that cannot be loaded shows the error and a way to try again', async () => {
    let attempts = 0;
    const bridge = createFakeBridge({
      'profiles:get': () => {
        attempts += 1;
        return attempts === 1 ? { ok: false, error: { kind: 'not_found', message: 'No profile "acq".', hint: 'Pick one from the list.' } } : ok(config);
      },
    });
    renderWithBridge(<ProfileFormView mode="edit" id="acq" />, bridge);
    await screen.findByText(/No profile "acq"\./);
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByRole('form', { name: 'Edit profile' });
  });
});

describe('the form renders each field from its type in the catalogue', () => {
  const expected: Record<string, (control: HTMLElement) => void> = {
    text: (c) => assert.equal((c as HTMLInputElement).type, 'text'),
    secret: (c) => {
      assert.equal((c as HTMLInputElement).type, 'password');
      assert.equal(c.getAttribute('autocomplete'), 'new-password');
    },
    url: (c) => assert.equal((c as HTMLInputElement).type, 'url'),
    'organization-scope': (c) => assert.match(c.getAttribute('placeholder') ?? '', /^organization:/),
    number: (c) => assert.equal(c.getAttribute('inputmode'), 'numeric'),
    choice: (c) => assert.equal(c.tagName, 'SELECT'),
    params: (c) => assert.equal(c.tagName, 'TEXTAREA'),
    pem: (c) => assert.equal(c.tagName, 'TEXTAREA'),
    path: (c) => assert.equal((c as HTMLInputElement).type, 'text'),
  };

  for (const provider of PROVIDER_IDS) {
    it(`${provider}: every field's control is the one its type names`, () => {
      const { container } = renderWithBridge(<ProfileForm mode="add" />, createFakeBridge());
      fireEvent.change(controlOf(container, 'provider'), { target: { value: provider } });
      // The fields of the provider's default client authentication (a key method shows its own).
      for (const spec of PROVIDERS[provider].fields.filter((f) => fieldApplies(f, authMethodOf({ provider })))) {
        const control = controlOf(container, spec.field);
        const check = expected[spec.type];
        assert.ok(check, `a check for type ${spec.type}`);
        check(control);
        if (spec.type === 'choice') {
          const offered = [...(control as unknown as HTMLSelectElement).options].map((o) => o.value).filter((v) => v !== '');
          assert.deepEqual(offered, [...(spec.choices ?? [])], `${spec.field} offers the catalogue's choices`);
        }
      }
      cleanup();
    });
  }

  it('a number field refuses what is not a whole number, beside the field', async () => {
    const { container } = renderWithBridge(<ProfileForm mode="add" />, createFakeBridge());
    fireEvent.change(controlOf(container, 'provider'), { target: { value: 'oauth2' } });
    type(container, 'defaultLifetimeSec', '1e3');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => assert.equal(errorOf(container, 'defaultLifetimeSec'), 'must be a whole number'));
  });
});

describe('client authentication with keys (docs/client-auth.md)', () => {
  it('the fields follow the method: a key (pasted or from a file) instead of the secret, and only its fields are sent', () => {
    const values = {
      provider: 'oauth2' as const,
      id: 'idp',
      name: 'idp',
      fields: { clientId: 'c', tokenUrl: 'https://idp.test/token', authMethod: 'private_key_jwt', keyId: 'k1', clientCert: '-----BEGIN CERTIFICATE-----' },
      secrets: { clientSecret: 'stale secret', privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
    };
    const built = buildInput(values);
    assert.deepEqual(built.secrets, { privateKey: values.secrets.privateKey });
    assert.equal(built.profile.keyId, 'k1');
    assert.equal(built.profile.clientCert, undefined, 'a certificate belongs to the TLS methods only');
    const secretOnly = buildInput({ ...values, fields: { ...values.fields, authMethod: 'client_secret_post' } });
    assert.deepEqual(secretOnly.secrets, { clientSecret: 'stale secret' });
    assert.equal(secretOnly.profile.keyId, undefined);
  });
});
