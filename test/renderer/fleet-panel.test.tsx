// The fleet panel in settings (SPEC section 8) with a fake bridge: the URL as main gives it (never a
// password), connected or not with the reason, the key id, and per profile what the fleet holds,
// shared-only profiles named as such; without a shared cache, what to do to get one.
import './setup-dom.js';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { cleanup, screen, waitFor, within } from './testing.js';
import type { FleetStatusInfo } from '../../common/contract.js';
import { FleetPanel } from '../../renderer/src/components/fleet-panel.js';
import { createFakeBridge, ok } from './fake-bridge.js';
import { renderWithBridge } from './render.js';

afterEach(() => cleanup());

const CONNECTED: FleetStatusInfo = {
  configured: true,
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
});
