// The one logger factory: scope first, the level, the message, fields as JSON; levels below the
// chosen one are dropped, and 'silent' writes nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../main/core/logger.js';

describe('createLogger', () => {
  it('writes one line per message with scope, level and fields, from the chosen level up', () => {
    const lines: string[] = [];
    const log = createLogger({ scope: '[engine]', write: (line) => lines.push(line), level: 'warn' });
    log.debug('not shown');
    log.info('not shown either');
    log.warn('refresh failed', { profile: 'rp', kind: 'timeout' });
    log.error('gave up');
    assert.deepEqual(lines, ['[engine] warn: refresh failed {"profile":"rp","kind":"timeout"}\n', '[engine] error: gave up\n']);
  });

  it('writes durations as whole milliseconds, and leaves other numbers alone', () => {
    const lines: string[] = [];
    const log = createLogger({ scope: '[engine]', write: (line) => lines.push(line) });
    log.warn('refresh failed', { profile: 'rp', retryInMs: 7785.5546875, nested: { waitMs: 0.4 }, ratio: 0.75, count: 3 });
    assert.deepEqual(lines, ['[engine] warn: refresh failed {"profile":"rp","retryInMs":7786,"nested":{"waitMs":0},"ratio":0.75,"count":3}\n']);
  });

  it('starts each line with the clock when one is given, and silent writes nothing', () => {
    const lines: string[] = [];
    createLogger({ scope: 'tokentray serve:', write: (line) => lines.push(line), clock: () => Date.UTC(2026, 11, 2, 10, 0, 0) }).info('listening');
    assert.deepEqual(lines, ['2026-12-02T10:00:00.000Z tokentray serve: info: listening\n']);
    const quiet = createLogger({ scope: 'x', write: (line) => lines.push(line), level: 'silent' });
    quiet.error('nothing');
    assert.equal(lines.length, 1);
  });
});
