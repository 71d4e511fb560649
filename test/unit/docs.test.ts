// docs/ is the product's own contract, kept true here: every route the loopback server knows is in
// docs/http-api.md's route table with its methods and access (and nothing more), every problem type
// is listed with the status it is answered with, and every CLI command and flag commander knows is
// in docs/cli.md under its command's heading.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { ERROR_KINDS, problemType } from '../../common/errors.js';
import { createCore, type Core } from '../../main/core/app-core.js';
import { statusForKind } from '../../main/core/api/problem.js';
import { buildProgram, type CliIo } from '../../main/node/cli/main.js';
import { MemoryStore } from '../support/memory-store.js';
import { MemoryVault } from '../support/memory-vault.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The rows of the first markdown table after `heading`, as trimmed cells. */
function tableAfter(text: string, heading: string): string[][] {
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `no "${heading}" section`);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(' | ').map((cell) => cell.trim()));
  }
  return rows;
}

/** The text under a heading, up to the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) return '';
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const rest = text.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`\\n#{1,${level}} `));
  return next < 0 ? rest : rest.slice(0, next);
}

describe('docs/http-api.md', () => {
  let core: Core;
  let doc: string;
  before(async () => {
    core = await createCore({ store: new MemoryStore(), vault: new MemoryVault(), version: '0.0.0-docs', dashboardDir: ROOT });
    doc = await readFile(resolve(ROOT, 'docs/http-api.md'), 'utf8');
  });
  after(async () => {
    await core.stop();
  });

  it('lists every route the server knows, with its methods and access, and no route it does not', () => {
    const documented = new Map(
      tableAfter(doc, '## Routes').map(([methods = '', path = '', access = '']) => [path, { methods: methods.split(', ').sort(), access }]),
    );
    const known = core.server.routes();
    assert.ok(known.length > 10, 'the server knows its routes');
    for (const route of known) {
      const row = documented.get(route.path);
      assert.ok(row, `${route.path} is not in docs/http-api.md`);
      assert.deepEqual(row.methods, [...route.methods].sort(), `${route.path}: methods`);
      assert.equal(row.access, route.access, `${route.path}: access`);
    }
    const paths = new Set(known.map((route) => route.path));
    for (const path of documented.keys()) assert.ok(paths.has(path), `docs/http-api.md lists ${path}, which the server does not know`);
  });

  it('lists every problem type with the status it is answered with', () => {
    const rows = tableAfter(doc, '### Problem types');
    const documented = new Map(rows.map(([type = '', status = '']) => [type.replace(/`/g, ''), Number(status)]));
    for (const kind of ERROR_KINDS) {
      assert.equal(documented.get(problemType(kind)), statusForKind(kind), `${problemType(kind)} in docs/http-api.md`);
    }
    assert.equal(documented.size, ERROR_KINDS.length, 'no problem type that is not one of ours');
  });
});

describe('docs/cli.md', () => {
  const leaves: Command[] = [];
  let doc: string;
  before(async () => {
    const io: CliIo = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
    const program = await buildProgram(io, async () => {});
    const walk = (command: Command): void => {
      if (command.commands.length === 0) leaves.push(command);
      for (const sub of command.commands) walk(sub);
    };
    for (const sub of program.commands) walk(sub);
    doc = await readFile(resolve(ROOT, 'docs/cli.md'), 'utf8');
  });

  const pathOf = (command: Command): string => {
    const names: string[] = [];
    for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
    return names.join(' ');
  };

  it('has a heading for every command, and every flag under it or among the common options', () => {
    assert.ok(leaves.length >= 15, `found ${leaves.length} commands`);
    const common = section(doc, '## Options every command takes');
    for (const command of leaves) {
      const heading = `### \`${pathOf(command)}\``;
      const text = section(doc, heading);
      assert.notEqual(text, '', `docs/cli.md has no "${heading}"`);
      for (const option of command.options) {
        const flag = option.long ?? option.short ?? option.flags;
        assert.ok(text.includes(`\`${flag} `) || text.includes(`\`${flag}\``) || common.includes(`\`${flag} `) || common.includes(`\`${flag}\``), `${pathOf(command)} ${flag} is not in docs/cli.md`);
      }
    }
  });

  it('documents no command the program does not have', () => {
    const known = new Set(leaves.map(pathOf));
    for (const match of doc.matchAll(/^### `(tokentray [^`]+)`$/gm)) {
      assert.ok(known.has(match[1] ?? ''), `docs/cli.md documents ${match[1]}, which the program does not have`);
    }
  });

  it('lists the exit codes the CLI uses', async () => {
    const { EXIT } = await import('../../main/node/cli/output.js');
    const codes = new Set(tableAfter(doc, '## Exit codes').map(([code = '']) => Number(code)));
    for (const code of Object.values(EXIT)) assert.ok(codes.has(code), `exit code ${code}`);
  });
});
