// The fleet panel in settings (SPEC section 8) with a fake bridge: the URL as main gives it (never a
// password), connected or not with the reason, the key id, and per profile what the fleet holds,
// shared-only profiles named as such; without a shared cache, what to do to get one. Joining,
// changing and leaving a fleet kept in the setting (docs/shared-cache.md, "Joining from the
// dashboard"): exactly the typed values go to main, a refusal is shown with its hint and keeps
// them, the secrets leave the page once saved, leaving asks first, and a fleet from the command line
// or the environment offers no form.
import './setup-dom.js';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, cleanup, fireEvent, screen, waitFor, within } from './testing.js';
import type { FleetStatusInfo } from '../../common/contract.js';
import { FleetPanel } from '../../renderer/src/components/fleet-panel.js';
import { createFakeBridge, ok } from './fake-bridge.js';
import { renderWithBridge } from './render.js';

afterEach(() => cleanup());

const CONNECTED: FleetStatusInfo = {
  configured: true,
  source: 'setting',
  location: 'redis://tokentray@redis.internal:6379/0',
  state: 'connected',
  reason: null,
  keyId: '0123456789abcdef',
  previousKeyId: null,
  unreadable: { 'foreign-key': 2, tampered: 0, format: 0 },
  profiles: [
    { id: 'api', sharedOnly: false, shared: true, token: { expiresAt: '2030-01-01T00:00:00.000Z', obtainedAt: '2029-12-31T23:55:00.000Z' }, unreadable: null, lockMs: null, stop: null, coolUntil: null, counts: { requestsLastHour: 12, requestsLastDay: 288 }, error: null },
    { id: 'ci', sharedOnly: true, shared: true, token: null, unreadable: null, lockMs: 8_000, stop: null, coolUntil: null, counts: null, error: null },
    { id: 'gone', sharedOnly: false, shared: true, token: null, unreadable: null, lockMs: null, stop: { kind: 'invalid_client', message: 'the client id or secret was rejected' }, coolUntil: null, counts: { requestsLastHour: 1, requestsLastDay: 1 }, error: null },
  ],
};

describe('the fleet panel', () => {
  it('shows where the shared cache is, that it answers, the key id, and what the fleet holds per profile', async () => {
    const bridge = createFakeBridge({ 'fleet:status': () => ok(CONNECTED) });
    renderWithBridge(<FleetPanel />, bridge);
    const panel = await screen.findByTestId('fleet-panel');
    await waitFor(() => assert.equal(within(panel).getByTestId('fleet-state').textContent, 'Connected'));
    assert.ok(panel.textContent?.includes('redis://tokentray@redis.internal:6379/0'));
    assert.ok(panel.textContent?.includes('0123456789abcdef'));
    assert.ok(panel.textContent?.includes('2 that did not open'));
    const rows = within(panel).getAllByRole('row');
    const row = (id: string) => rows.find((r) => r.getAttribute('data-fleet-profile') === id)!;
    assert.match(row('api').textContent ?? '', /12 \/ 288/);
    assert.match(row('ci').textContent ?? '', /\(shared-only\)/);
    assert.match(row('ci').textContent ?? '', /being refreshed \(lock, 8 s left\)/);
    assert.match(row('gone').textContent ?? '', /stopped: the client id or secret was rejected/);
  });

  it('says when Redis is unavailable, and why, and that this machine refreshes alone', async () => {
    const bridge = createFakeBridge({ 'fleet:status': () => ok({ ...CONNECTED, state: 'unavailable', reason: 'Redis did not answer within 250 ms', profiles: [] }) });
    renderWithBridge(<FleetPanel />, bridge);
    const state = await screen.findByTestId('fleet-state');
    assert.equal(state.textContent, 'Unavailable: Redis did not answer within 250 ms (refreshing alone)');
  });

  it('says how to share when no shared cache is configured', async () => {
    const bridge = createFakeBridge({ 'fleet:status': () => ok({ configured: false, location: null, state: null, reason: null, keyId: null, previousKeyId: null, unreadable: null, profiles: [] }) });
    renderWithBridge(<FleetPanel />, bridge);
    const panel = await screen.findByTestId('fleet-panel');
    await waitFor(() => assert.match(panel.textContent ?? '', /No shared cache: this machine refreshes its tokens alone/));
  });

  const NONE: FleetStatusInfo = { configured: false, source: null, location: null, state: null, reason: null, keyId: null, previousKeyId: null, unreadable: null, profiles: [] };
  const JOINED: FleetStatusInfo = { ...CONNECTED, location: 'redis://tokentray@127.0.0.1:6390/2', unreadable: null, profiles: [] };
  const KEY = 'q3Vq0Yb1m0mX1c3YQk9pD2xvJqW9k6mJc8WZp5Zr0xA=';

  const field = (form: HTMLElement, label: string) => within(form).getByLabelText(label) as HTMLInputElement;
  const type = (form: HTMLElement, label: string, value: string): void => {
    fireEvent.change(field(form, label), { target: { value } });
  };

  it('joins with exactly the typed values, shows the answer and forgets the typed secrets', async () => {
    const bridge = createFakeBridge({ 'fleet:status': () => ok(NONE), 'fleet:join': () => ok(JOINED) });
    renderWithBridge(<FleetPanel />, bridge);
    const form = await screen.findByRole('form', { name: 'Join a fleet' });
    assert.equal(field(form, 'Redis URL').placeholder, 'redis://[user@]host:port[/db]');
    for (const label of ['Password', 'Fleet key']) {
      const input = field(form, label);
      assert.equal(input.type, 'password');
      assert.equal(input.getAttribute('autocomplete'), 'off');
    }
    // The notes are read with their fields.
    const keyNotes = field(form, 'Fleet key').getAttribute('aria-describedby') ?? '';
    assert.match(keyNotes.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '), /32 random bytes in base64, the same on every machine: tokentray shared-cache keygen/);
    type(form, 'Redis URL', 'redis://tokentray@127.0.0.1:6390/2');
    type(form, 'Password', ' s3cret with spaces ');
    type(form, 'Fleet key', KEY);
    field(form, 'Fleet key').focus();
    await act(async () => fireEvent.submit(form));
    assert.deepEqual(bridge.callsTo('fleet:join'), [[{ url: 'redis://tokentray@127.0.0.1:6390/2', password: ' s3cret with spaces ', key: KEY }]]);
    const panel = screen.getByTestId('fleet-panel');
    await waitFor(() => assert.equal(within(panel).getByTestId('fleet-state').textContent, 'Connected'));
    assert.ok(panel.textContent?.includes('0123456789abcdef'));
    // Now a fleet kept in the setting: the form changes it, its secrets empty, the URL as main gives it.
    const change = screen.getByRole('form', { name: 'Change the fleet' });
    assert.equal(field(change, 'Password').value, '');
    assert.equal(field(change, 'Fleet key').value, '');
    assert.equal(field(change, 'Redis URL').value, 'redis://tokentray@127.0.0.1:6390/2');
    assert.ok(!document.body.innerHTML.includes('s3cret') && !document.body.innerHTML.includes(KEY), 'no typed secret left in the page');
    await waitFor(() => assert.match(screen.getByTestId('announcer').textContent ?? '', /Sharing tokens through redis:\/\/tokentray@127\.0\.0\.1:6390\/2/));
    // The same form stays, so focus stays where the keyboard was.
    assert.equal(document.activeElement, field(change, 'Fleet key'));
  });

  it('changing a saved fleet sends null for secrets left empty, so the saved ones are kept', async () => {
    const bridge = createFakeBridge({ 'fleet:status': () => ok(JOINED), 'fleet:join': () => ok({ ...JOINED, location: 'redis://tokentray@127.0.0.1:6390/3' }) });
    renderWithBridge(<FleetPanel />, bridge);
    const form = await screen.findByRole('form', { name: 'Change the fleet' });
    assert.equal(field(form, 'Redis URL').value, 'redis://tokentray@127.0.0.1:6390/2');
    const notes = (label: string) => (field(form, label).getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
    assert.match(notes('Password'), /Leave empty to keep the saved one\./);
    assert.match(notes('Fleet key'), /Leave empty to keep the saved one\./);
    type(form, 'Redis URL', 'redis://tokentray@127.0.0.1:6390/3');
    await act(async () => fireEvent.click(within(form).getByRole('button', { name: 'Change' })));
    assert.deepEqual(bridge.callsTo('fleet:join'), [[{ url: 'redis://tokentray@127.0.0.1:6390/3', password: null, key: null }]]);
    await waitFor(() => assert.equal(field(screen.getByRole('form', { name: 'Change the fleet' }), 'Redis URL').value, 'redis://tokentray@127.0.0.1:6390/3'));
  });

  it('a refusal is shown beside the form with its hint, and the typed values stay', async () => {
    const refusal = { kind: 'usage' as const, message: 'Redis at redis://127.0.0.1:6390 refused the password (WRONGPASS); nothing was saved.', hint: 'Check the password (and the ACL user in the URL) with the Redis administrator.' };
    const bridge = createFakeBridge({ 'fleet:status': () => ok(NONE), 'fleet:join': () => ({ ok: false, error: refusal }) });
    renderWithBridge(<FleetPanel />, bridge);
    const form = await screen.findByRole('form', { name: 'Join a fleet' });
    type(form, 'Redis URL', 'redis://127.0.0.1:6390');
    type(form, 'Password', 'wrong one');
    type(form, 'Fleet key', KEY);
    await act(async () => fireEvent.click(within(form).getByRole('button', { name: 'Join the fleet' })));
    const alert = await within(form).findByRole('alert');
    assert.match(alert.textContent ?? '', /Could not join the fleet: Redis at redis:\/\/127\.0\.0\.1:6390 refused the password \(WRONGPASS\); nothing was saved\./);
    assert.match(alert.textContent ?? '', /What to do: Check the password \(and the ACL user in the URL\) with the Redis administrator\./);
    // The error is read with the form and its fields.
    assert.ok((form.getAttribute('aria-describedby') ?? '').split(' ').includes(alert.id));
    assert.ok((field(form, 'Password').getAttribute('aria-describedby') ?? '').split(' ').includes(alert.id));
    assert.equal(field(form, 'Redis URL').value, 'redis://127.0.0.1:6390');
    assert.equal(field(form, 'Password').value, 'wrong one');
    assert.equal(field(form, 'Fleet key').value, KEY);
    assert.match(screen.getByTestId('fleet-panel').textContent ?? '', /No shared cache/);
  });

  it('an empty URL is refused beside its field without asking main', async () => {
    const bridge = createFakeBridge({ 'fleet:status': () => ok(NONE), 'fleet:join': () => ok(JOINED) });
    renderWithBridge(<FleetPanel />, bridge);
    const form = await screen.findByRole('form', { name: 'Join a fleet' });
    type(form, 'Redis URL', '   ');
    await act(async () => fireEvent.click(within(form).getByRole('button', { name: 'Join the fleet' })));
    const url = field(form, 'Redis URL');
    assert.equal(url.getAttribute('aria-invalid'), 'true');
    const described = (url.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
    assert.match(described, /Enter the Redis URL/);
    assert.equal(bridge.callsTo('fleet:join').length, 0);
  });

  it('leaving asks first, Cancel keeps the fleet, and Leave calls fleet:leave', async () => {
    const bridge = createFakeBridge({ 'fleet:status': () => ok(JOINED), 'fleet:leave': () => ok(NONE) });
    renderWithBridge(<FleetPanel />, bridge);
    const leave = await screen.findByRole('button', { name: 'Leave the fleet' });
    fireEvent.click(leave);
    let dialog = screen.getByRole('alertdialog', { name: 'Leave the fleet?' });
    assert.match(dialog.textContent ?? '', /redis:\/\/tokentray@127\.0\.0\.1:6390\/2/);
    assert.equal(document.activeElement, within(dialog).getByRole('button', { name: 'Cancel' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    assert.equal(screen.queryByRole('alertdialog'), null);
    assert.equal(bridge.callsTo('fleet:leave').length, 0);
    fireEvent.click(screen.getByRole('button', { name: 'Leave the fleet' }));
    dialog = screen.getByRole('alertdialog');
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Leave' })));
    assert.deepEqual(bridge.callsTo('fleet:leave'), [[]]);
    const panel = screen.getByTestId('fleet-panel');
    await waitFor(() => assert.match(panel.textContent ?? '', /No shared cache: this machine refreshes its tokens alone/));
    assert.equal(screen.queryByRole('button', { name: 'Leave the fleet' }), null);
    // The button pressed is gone: the keyboard continues from the panel's heading.
    await waitFor(() => assert.equal(document.activeElement, screen.getByRole('heading', { name: 'Fleet' })));
    // Joined again from an empty form: nothing of the fleet just left is offered.
    assert.equal(field(screen.getByRole('form', { name: 'Join a fleet' }), 'Redis URL').value, '');
  });

  it('a fleet from --shared-cache or TOKENTRAY_SHARED_CACHE offers no form, and says where it is changed', async () => {
    for (const [source, named] of [['flag', '--shared-cache'], ['environment', 'TOKENTRAY_SHARED_CACHE']] as const) {
      const bridge = createFakeBridge({ 'fleet:status': () => ok({ ...CONNECTED, source }) });
      renderWithBridge(<FleetPanel />, bridge);
      const line = await screen.findByTestId('fleet-source');
      assert.equal(line.textContent, `This fleet comes from ${named}, given where the app is started; change it there and restart the app.`);
      assert.equal(screen.getByTestId('fleet-state').textContent, 'Connected');
      assert.equal(screen.queryByRole('form'), null);
      assert.equal(screen.queryByLabelText('Password'), null);
      assert.equal(screen.queryByRole('button', { name: 'Leave the fleet' }), null);
      cleanup();
    }
  });
});
