// The "Use from an OAuth client" panel with the real store and clipboard actions and
// a fake bridge: the token URL and issuer at the API's own address, copy buttons that copy exactly
// those, a client key limited to the profile and shown once (the examples carry it until Done), and
// a refusal that says why for the cookie and Basic profiles.
import './setup-dom.js';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { useState } from 'react';
import { cleanup, fireEvent, screen, waitFor, within } from './testing.js';
import type { ClientKeyInfo, ProfileConfig, ProfileStatus } from '../../common/contract.js';
import { createClipboard } from '../../renderer/src/api/index.js';
import { ProfilesView } from '../../renderer/src/components/profile-list.js';
import { RelayPanel } from '../../renderer/src/components/relay-panel.js';
import { parseRoute, routeHref } from '../../renderer/src/router.js';
import { createFakeBridge, ok, type Handlers } from './fake-bridge.js';
import { renderWithBridge } from './render.js';
import { statusFixture } from '../support/status-fixture.js';

afterEach(() => cleanup());

const BASE = 'http://127.0.0.1:51234';
const status = (id: string, provider: ProfileStatus['provider']): ProfileStatus => statusFixture({ id, name: `Profile ${id}`, provider, state: 'fresh' });
const CONFIGS: Record<string, ProfileConfig> = {
  ops: { id: 'ops', name: 'Profile ops', provider: 'camunda-operate', clientId: 'upstream-id' },
  parcels: { id: 'parcels', name: 'Profile parcels', provider: 'sendcloud-basic', clientId: 'public' },
  operate: { id: 'operate', name: 'Profile operate', provider: 'camunda-operate-cookie', username: 'demo' },
};

function setup(extra: Handlers = {}) {
  const copied: string[] = [];
  const bridge = createFakeBridge({
    'profiles:list': () => ok(Object.values(CONFIGS).map((c) => status(c.id, c.provider))),
    'activity:list': () => ok([]),
    'settings:get': () => ok({ port: 47210, leadTimeSec: 300, clipboardClearSec: 60, startAtLogin: false, notifications: true }),
    'profiles:get': (id) => {
      const config = CONFIGS[id as string];
      return config ? ok(config) : { ok: false, error: { kind: 'not_found', message: `There is no profile "${String(id)}".` } };
    },
    'api:address': () => ok({ baseUrl: BASE }),
    'clients:add': (input) => {
      const { name, profiles } = input as { name: string; profiles: string[] | null };
      const client: ClientKeyInfo = { name, profiles, createdAt: new Date().toISOString(), lastUsedAt: null };
      return ok({ key: 'tt_secret-key-shown-once', client });
    },
    ...extra,
  });
  const clipboard = createClipboard(bridge, async (text) => {
    copied.push(text);
  });
  return { bridge, copied, clipboard };
}

describe('Use from an OAuth client', () => {
  it("moving to another profile shows loading, never the previous profile's token URL", async () => {
    let release: () => void = () => undefined;
    const other: ProfileConfig = { ...CONFIGS.ops, id: 'ops2', name: 'Profile ops2' } as ProfileConfig;
    const { bridge, clipboard } = setup({
      'profiles:get': (id) => (id === 'ops2' ? new Promise((done) => (release = () => done(ok(other)))) : ok(CONFIGS.ops as ProfileConfig)),
    });
    function Switcher(): ReturnType<typeof RelayPanel> {
      const [id, setId] = useState('ops');
      return (
        <>
          <button type="button" onClick={() => setId('ops2')}>
            Other profile
          </button>
          <RelayPanel id={id} />
        </>
      );
    }
    renderWithBridge(<Switcher />, bridge, { start: true, clipboard });
    assert.equal((await screen.findByTestId('relay-token-url')).textContent, `${BASE}/v1/profiles/ops/oauth/token`);
    fireEvent.click(screen.getByRole('button', { name: 'Other profile' }));
    // Its answer is held back: until it comes, nothing about "ops" may be offered for "ops2".
    await waitFor(() => assert.equal(screen.queryByTestId('relay-token-url'), null));
    assert.ok(screen.getByText(/Loading/));
    release();
    assert.equal((await screen.findByTestId('relay-token-url')).textContent, `${BASE}/v1/profiles/ops2/oauth/token`);
  });

  it("shows the profile's token URL and issuer at the API's address, and copies exactly them", async () => {
    const { bridge, copied, clipboard } = setup();
    renderWithBridge(<RelayPanel id="ops" />, bridge, { start: true, clipboard });
    assert.ok(screen.getByRole('heading', { level: 1, name: 'Use from an OAuth client' }));
    const tokenUrl = await screen.findByTestId('relay-token-url');
    assert.equal(tokenUrl.textContent, `${BASE}/v1/profiles/ops/oauth/token`);
    assert.equal(screen.getByTestId('relay-issuer').textContent, `${BASE}/v1/profiles/ops`);
    // Each URL is named by its label for screen readers.
    assert.equal(screen.getByLabelText('Token URL'), tokenUrl);
    assert.ok(screen.getByText('operate.camunda.io'));

    fireEvent.click(screen.getByRole('button', { name: 'Copy token URL' }));
    await waitFor(() => assert.deepEqual(copied, [`${BASE}/v1/profiles/ops/oauth/token`]));
    await screen.findByText('Token URL copied to the clipboard.');
    fireEvent.click(screen.getByRole('button', { name: 'Copy issuer' }));
    await waitFor(() => assert.equal(copied[1], `${BASE}/v1/profiles/ops`));

    // Placeholders until a key exists; the Camunda audience variable for Operate.
    const env = screen.getByTestId('relay-example-env').textContent ?? '';
    assert.match(env, /export CAMUNDA_OAUTH_URL='http:\/\/127\.0\.0\.1:51234\/v1\/profiles\/ops\/oauth\/token'/);
    assert.match(env, /export ZEEBE_CLIENT_SECRET='<client key>'/);
    assert.match(env, /export CAMUNDA_OPERATE_OAUTH_AUDIENCE='operate\.camunda\.io'/);
    assert.match(screen.getByTestId('relay-example-curl').textContent ?? '', /"audience":"operate\.camunda\.io"/);
    assert.match(screen.getByTestId('relay-example-postman').textContent ?? '', /Grant type: Client Credentials/);
  });

  it('creates a key limited to this profile, shows it once, and puts it in the examples until Done', async () => {
    const { bridge, copied, clipboard } = setup();
    renderWithBridge(<RelayPanel id="ops" />, bridge, { start: true, clipboard });
    const form = await screen.findByRole('form', { name: 'Create a client key for ops' });
    const name = within(form).getByLabelText('Key name (the client id)') as HTMLInputElement;
    assert.equal(name.value, 'ops-client');

    fireEvent.change(name, { target: { value: 'not a name!' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create a key for ops' }));
    await screen.findByText('Use 1-64 letters, digits, dots, underscores or dashes.');
    assert.equal(name.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(bridge.callsTo('clients:add'), []);

    fireEvent.change(name, { target: { value: 'zeebe-worker' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create a key for ops' }));
    const region = await screen.findByRole('region', { name: 'New client key' });
    assert.deepEqual(bridge.callsTo('clients:add'), [[{ name: 'zeebe-worker', profiles: ['ops'] }]]);
    assert.equal(within(region).getByTestId('relay-new-key-value').textContent, 'tt_secret-key-shown-once');
    const env = screen.getByTestId('relay-example-env').textContent ?? '';
    assert.match(env, /export ZEEBE_CLIENT_ID='zeebe-worker'/);
    assert.match(env, /export ZEEBE_CLIENT_SECRET='tt_secret-key-shown-once'/);
    assert.match(screen.getByTestId('relay-example-postman').textContent ?? '', /^Client Secret: tt_secret-key-shown-once$/m);

    fireEvent.click(screen.getByRole('button', { name: 'Copy curl command' }));
    await waitFor(() => assert.equal(copied.length, 1));
    assert.match(copied[0] as string, /"client_id":"zeebe-worker","client_secret":"tt_secret-key-shown-once"/);

    fireEvent.click(within(region).getByRole('button', { name: 'Done' }));
    assert.equal(screen.queryByRole('region', { name: 'New client key' }), null);
    assert.equal(document.body.textContent?.includes('tt_secret-key-shown-once'), false);
    assert.match(screen.getByTestId('relay-example-env').textContent ?? '', /ZEEBE_CLIENT_ID='zeebe-worker'[\s\S]*ZEEBE_CLIENT_SECRET='<client key>'/);
  });

  it('a refused key is reported with its hint, and the form stays', async () => {
    const { bridge, clipboard } = setup({
      'clients:add': () => ({ ok: false, error: { kind: 'usage', message: 'A client key named "ops-client" already exists.', hint: 'Pick another name.' } }),
    });
    renderWithBridge(<RelayPanel id="ops" />, bridge, { start: true, clipboard });
    fireEvent.click(await screen.findByRole('button', { name: 'Create a key for ops' }));
    const alert = await screen.findByRole('alert');
    assert.match(alert.textContent ?? '', /already exists\..*Pick another name\./);
    assert.ok(screen.getByRole('form', { name: 'Create a client key for ops' }));
  });

  for (const [id, reason] of [
    ['parcels', /authenticates with HTTP Basic, not a bearer token/],
    ['operate', /logs in with a session cookie, not a bearer token/],
  ] as const) {
    it(`says why profile ${id} cannot be relayed, and offers no token URL or key`, async () => {
      const { bridge, clipboard } = setup();
      renderWithBridge(<RelayPanel id={id} />, bridge, { start: true, clipboard });
      const note = await screen.findByTestId('relay-refusal');
      assert.ok(within(note).getByRole('heading', { name: 'Not available for this profile' }));
      assert.match(note.textContent ?? '', reason);
      assert.match(note.textContent ?? '', new RegExp(`/v1/profiles/${id}/headers`));
      assert.equal(screen.queryByTestId('relay-token-url'), null);
      assert.equal(screen.queryByRole('button', { name: /Create a key/ }), null);
    });
  }

  it('says so when the API is not listening, and when the profile is gone', async () => {
    const { bridge, clipboard } = setup({ 'api:address': () => ok({ baseUrl: null }) });
    renderWithBridge(<RelayPanel id="ops" />, bridge, { start: true, clipboard });
    assert.match((await screen.findByRole('alert')).textContent ?? '', /not listening/);
    cleanup();
    const gone = setup();
    renderWithBridge(<RelayPanel id="ghost" />, gone.bridge, { start: true, clipboard: gone.clipboard });
    assert.match((await screen.findByRole('alert')).textContent ?? '', /There is no profile "ghost"/);
  });

  it("is linked from each profile's card", async () => {
    const { bridge, clipboard } = setup();
    renderWithBridge(<ProfilesView navigate={() => {}} />, bridge, { start: true, clipboard });
    const card = (await screen.findByRole('heading', { name: 'Profile ops' })).closest('li') as HTMLElement;
    assert.equal(within(card).getByRole('link', { name: 'Use from an OAuth client' }).getAttribute('href'), '#/relay/ops');
    assert.deepEqual(parseRoute('#/relay/ops'), { view: 'relay', id: 'ops' });
    assert.equal(routeHref({ view: 'relay', id: 'a b' }), '#/relay/a%20b');
    assert.deepEqual(parseRoute('#/relay'), { view: 'profiles' });
  });
});
