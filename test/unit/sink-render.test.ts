// Token file rendering and `sink add`'s input checks (SPEC section 7; docs/sinks.md): every format's
// exact bytes, refusals instead of empty or misread values, and modes, templates and hook commands.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProfileConfig } from '../../common/contract.js';
import { renderSink, sinkRefusal } from '../../main/core/sinks/render.js';
import { checkTemplate, parseCommandLine, parseSinkMode } from '../../main/core/sinks/sink-input.js';
import type { Token } from '../../main/core/types.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const profile: ProfileConfig = { id: 'rp', name: 'Redpanda', provider: 'redpanda', clientId: 'client-1', apiUrl: 'https://api.example.com:8443/v1' };
const token: Token = {
  accessToken: 'eyJ.abc.def',
  tokenType: 'Bearer',
  headers: { Authorization: 'Bearer eyJ.abc.def' },
  obtainedAt: NOW - 60_000,
  expiresAt: NOW + 240_500,
};

function content(format: Parameters<typeof renderSink>[0]['format'], template?: string, p = profile, t = token): string {
  const rendered = renderSink(template === undefined ? { format } : { format, template }, p, t, NOW);
  assert.ok(rendered.ok, rendered.ok ? '' : rendered.reason);
  return rendered.content;
}

describe('renderSink', () => {
  test('every format writes exactly what its readers expect', () => {
    assert.equal(content('raw'), 'eyJ.abc.def');
    assert.equal(content('env'), 'TOKENTRAY_TOKEN=eyJ.abc.def\nTOKENTRAY_AUTH_HEADER=Bearer eyJ.abc.def\n');
    assert.deepEqual(JSON.parse(content('json')), { access_token: 'eyJ.abc.def', token_type: 'Bearer', expires_at: '2026-01-01T00:04:00.500Z' });
    assert.equal(content('header'), 'Authorization: Bearer eyJ.abc.def\n');
    assert.equal(content('netrc'), 'machine api.example.com login client-1 password eyJ.abc.def\n');
    assert.equal(
      content('template', 'url=x\nauth={{ header }}\nt={{token}} at {{expires_at}} in {{expires_in}} for {{profile}}\n'),
      'url=x\nauth=Bearer eyJ.abc.def\nt=eyJ.abc.def at 2026-01-01T00:04:00.500Z in 240 for rp\n',
    );
  });

  test("a cookie profile's header file holds every header it sends", () => {
    const cookie: ProfileConfig = { id: 'op', name: 'Operate', provider: 'camunda-operate-cookie', username: 'demo' };
    const session: Token = { ...token, accessToken: 'OPERATE-SESSION=1; other=2', tokenType: 'Cookie', headers: { Cookie: 'OPERATE-SESSION=1; other=2', 'X-CSRF-TOKEN': 'c1' } };
    assert.equal(content('header', undefined, cookie, session), 'Cookie: OPERATE-SESSION=1; other=2\nX-CSRF-TOKEN: c1\n');
    assert.equal(content('env', undefined, cookie, session), 'TOKENTRAY_TOKEN=OPERATE-SESSION=1; other=2\nTOKENTRAY_AUTH_HEADER=OPERATE-SESSION=1; other=2\n');
    assert.match(sinkRefusal(cookie, 'netrc')?.message ?? '', /cookie/);
  });

  test('a profile whose credential is its secret gets no file in any format', () => {
    const basic: ProfileConfig = { id: 'sc', name: 'Sendcloud', provider: 'sendcloud-basic', clientId: 'pub' };
    for (const format of ['raw', 'env', 'json', 'header', 'netrc', 'template'] as const) {
      assert.match(sinkRefusal(basic, format)?.message ?? '', /never holds a client secret/);
      const rendered = renderSink({ format, template: '{{token}}' }, basic, { ...token, tokenType: 'Basic', headers: { Authorization: 'Basic cHViOnNlY3JldA==' } }, NOW);
      assert.equal(rendered.ok, false);
    }
  });

  test('values a reader would take wrongly are refused, never written', () => {
    const quoted = { ...token, accessToken: 'ab"cd', headers: { Authorization: 'Bearer ab"cd' } };
    assert.equal(renderSink({ format: 'env' }, profile, quoted, NOW).ok, false);
    const broken = { ...token, accessToken: 'ab\ncd', headers: { Authorization: 'Bearer ab\ncd' } };
    for (const format of ['raw', 'env', 'json', 'header', 'netrc'] as const) assert.equal(renderSink({ format }, profile, broken, NOW).ok, false, format);
    const noApi: ProfileConfig = { id: 'o', name: 'o', provider: 'oauth2', clientId: 'c', tokenUrl: 'https://idp.example/token' };
    assert.match(sinkRefusal(noApi, 'netrc')?.message ?? '', /no API base URL/);
  });

  test('a placeholder without a value is refused instead of rendered empty', () => {
    const forever = { ...token, expiresAt: null };
    const rendered = renderSink({ format: 'template', template: 'exp={{expires_in}}' }, profile, forever, NOW);
    assert.equal(rendered.ok, false);
    assert.match(rendered.ok ? '' : rendered.reason, /\{\{expires_in\}\} has no value/);
  });
});

describe('sink add input', () => {
  test('modes are octal strings; 644 without a zero is read as octal and said so', () => {
    assert.deepEqual(parseSinkMode('0600'), { ok: true, value: '0600' });
    assert.deepEqual(parseSinkMode('0640'), { ok: true, value: '0640' });
    assert.deepEqual(parseSinkMode('644'), { ok: true, value: '0644', note: 'read the mode 644 as octal 0644' });
    assert.deepEqual(parseSinkMode('0o600'), { ok: true, value: '0600' });
    for (const bad of ['', '600x', '999', '0x1a4', '420', '0400', '0700', '0755', '0666', '0620', '4600', '06000', 'rw-------']) {
      const checked = parseSinkMode(bad);
      assert.equal(checked.ok, false, bad);
      assert.ok(!checked.ok && checked.hint.length > 0);
    }
  });

  test('templates: unknown placeholders, stray braces and no placeholder at all are refused', () => {
    assert.deepEqual(checkTemplate('a {{token}} b {{ profile }}'), { ok: true, value: ['token', 'profile'] });
    const unknown = checkTemplate('{{token}} {{secret}} {{client_secret}}');
    assert.equal(unknown.ok, false);
    assert.match(unknown.ok ? '' : unknown.message, /\{\{secret\}\}, \{\{client_secret\}\}/);
    assert.equal(checkTemplate('{{token}} and {{token').ok, false);
    assert.equal(checkTemplate('no placeholder').ok, false);
    assert.equal(checkTemplate('').ok, false);
    assert.equal(checkTemplate('{"a":{"b":"{{token}}"}}').ok, true);
  });

  test('--on-change is split into arguments like a shell would, but shell syntax is refused', () => {
    assert.deepEqual(parseCommandLine("systemctl --user reload 'my app'"), { ok: true, value: ['systemctl', '--user', 'reload', 'my app'] });
    assert.deepEqual(parseCommandLine('kill -HUP "12 3" a\\ b ""'), { ok: true, value: ['kill', '-HUP', '12 3', 'a b', ''] });
    assert.deepEqual(parseCommandLine("sh -c 'a && b'"), { ok: true, value: ['sh', '-c', 'a && b'] });
    for (const bad of ['a && b', 'echo $HOME', 'cat x | y', 'a; b', '  ', "unclosed 'quote", 'ls *']) assert.equal(parseCommandLine(bad).ok, false, bad);
  });
});
