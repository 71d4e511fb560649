// The one typed emitter (common/emitter.ts) behind every onX(listener) in main/core and the
// dashboard: on() returns its own unsubscribe, and a listener that throws is reported while the
// others still hear the event and the emitting code goes on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emitter } from '../../common/emitter.js';
import { DEFAULT_SESSION_OPTIONS, DashboardSessions } from '../../main/core/api/sessions.js';
import { FakeClock } from '../support/fake-clock.js';

describe('Emitter', () => {
  it('calls listeners in order until each unsubscribes', () => {
    const emitter = new Emitter<number>();
    const heard: string[] = [];
    const offA = emitter.on((n) => heard.push(`a${n}`));
    emitter.on((n) => heard.push(`b${n}`));
    emitter.emit(1);
    offA();
    offA();
    emitter.emit(2);
    assert.deepEqual(heard, ['a1', 'b1', 'b2']);
    assert.equal(emitter.size, 1);
    emitter.clear();
    emitter.emit(3);
    assert.deepEqual(heard, ['a1', 'b1', 'b2']);
  });

  it('reports a throwing listener and still calls the rest', () => {
    const reported: unknown[] = [];
    const emitter = new Emitter<string>((error) => reported.push(error));
    const heard: string[] = [];
    emitter.on(() => {
      throw new Error('listener bug');
    });
    emitter.on((value) => heard.push(value));
    assert.doesNotThrow(() => emitter.emit('x'));
    assert.deepEqual(heard, ['x']);
    assert.equal((reported[0] as Error).message, 'listener bug');
  });

  it('lets a listener unsubscribe another during an emit', () => {
    const emitter = new Emitter();
    const heard: string[] = [];
    let offB = (): void => {};
    emitter.on(() => {
      heard.push('a');
      offB();
    });
    offB = emitter.on(() => heard.push('b'));
    emitter.emit();
    assert.deepEqual(heard, ['a']);
  });

  it('isolates listeners where main/core used hand-rolled sets: a throwing revoke listener no longer stops the others', () => {
    const sessions = new DashboardSessions(new FakeClock(), DEFAULT_SESSION_OPTIONS);
    const heard: (string | null)[] = [];
    sessions.onDidRevoke(() => {
      throw new Error('a stream that could not be ended');
    });
    sessions.onDidRevoke((key) => heard.push(key));
    const original = console.error;
    console.error = () => {};
    try {
      assert.doesNotThrow(() => sessions.revokeAll());
    } finally {
      console.error = original;
    }
    assert.deepEqual(heard, [null]);
  });
});
