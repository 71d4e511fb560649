// The activity log and the request counts outlive the engine (docs/history-files.md): real files in a
// temp config directory, the real engine on a fake clock, and a second engine standing for the
// process that starts after a restart.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HistoryProblem } from '../../main/core/engine/history.js';
import { ActivityLog } from '../../main/core/activity-log.js';
import { ACTIVITY_FILE_NAME, HistoryFiles, REQUESTS_FILE_NAME } from '../../main/node/history-files.js';
import { acquiaProfile, createHarness } from '../support/engine-harness.js';
import { FakeClock } from '../support/fake-clock.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const DAY_MS = 86_400_000;

async function lines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function activityLine(at: number, kind: string, profileId = 'aq', client?: string): string {
  return `${JSON.stringify({ at: new Date(at).toISOString(), kind, profileId, ...(client === undefined ? {} : { client }) })}\n`;
}

describe('history files', () => {
  let root: string;
  let n = 0;
  const freshDir = async (): Promise<string> => {
    n += 1;
    const dir = join(root, `c${n}`);
    await mkdir(dir, { mode: 0o700 });
    return dir;
  };

  before(async () => {
    root = await makeTempDir('tokentray-history-');
  });
  after(async () => {
    await removeTempDir(root);
  });

  test('a restarted engine shows the earlier activity and request counts; the files are 0600 and hold no token or secret', async () => {
    const dir = await freshDir();
    const first = await createHarness({ profiles: [acquiaProfile('aq'), acquiaProfile('other')], history: new HistoryFiles(dir) });
    await first.engine.start();
    const token = await first.engine.getToken('aq', { client: 'deploy' });
    await first.engine.getToken('aq', { client: 'cli' });
    await first.engine.getToken('other', { client: 'deploy' });
    // Written later, in a batch: nothing is on disk the moment a token is handed out.
    assert.equal(existsSync(join(dir, ACTIVITY_FILE_NAME)), false);
    const before = first.engine.activity();
    await first.engine.stop();
    await first.engine.closeHistory();

    for (const name of [ACTIVITY_FILE_NAME, REQUESTS_FILE_NAME]) {
      const file = join(dir, name);
      assert.equal((await stat(file)).mode & 0o777, 0o600, name);
      const text = await readFile(file, 'utf8');
      assert.ok(!text.includes(token.accessToken), `${name} holds no token`);
      assert.ok(!text.includes('not a real secret'), `${name} holds no secret`);
    }

    // The next process: another engine, its own HistoryFiles, the same directory, time gone on.
    first.clock.jump(60_000);
    // Nothing runs by itself in it (no background scheduler), so what it shows is only what was kept.
    const second = await createHarness({ clock: first.clock, background: false, profiles: [acquiaProfile('aq'), acquiaProfile('other')], history: new HistoryFiles(dir) });
    await second.engine.start();
    const restored = second.engine.activity();
    assert.deepEqual(
      restored.map(({ seq: _seq, ...rest }) => rest),
      before.map(({ seq: _seq, ...rest }) => rest),
    );
    assert.deepEqual(
      restored.map((entry) => entry.seq),
      before.map((_, index) => index + 1),
    );
    assert.deepEqual(
      restored.filter((entry) => entry.kind === 'token-issued').map((entry) => [entry.profileId, entry.client]),
      [
        ['aq', 'deploy'],
        ['aq', 'cli'],
        ['other', 'deploy'],
      ],
    );
    const status = second.engine.status('aq');
    assert.equal(status?.requestsLastHour, 1);
    assert.equal(status?.requestsLastDay, 1);
    // This run's entries follow the restored ones, numbered on.
    await second.engine.getToken('aq', { client: 'later' });
    const all = second.engine.activity();
    assert.equal(all.at(-1)?.client, 'later');
    assert.ok(all.length > restored.length);
    assert.deepEqual(
      all.map((entry) => entry.seq),
      all.map((_, index) => index + 1),
    );
    await second.engine.stop();
    await second.engine.closeHistory();
    const written = await lines(join(dir, ACTIVITY_FILE_NAME));
    assert.equal(written.filter((line) => line.kind === 'token-issued').length, 4);
    assert.ok(written.every((line) => !('seq' in line)));
  });

  test('request counts come back across a lock (engine stop and start) and a restart, and a day later count nothing', async () => {
    const dir = await freshDir();
    const harness = await createHarness({ history: new HistoryFiles(dir) });
    await harness.engine.start();
    await harness.engine.getToken('aq');
    await harness.engine.refresh('aq');
    await harness.engine.stop();
    await harness.engine.start();
    assert.equal(harness.engine.status('aq')?.requestsLastDay, 2);
    await harness.engine.stop();
    await harness.engine.closeHistory();

    harness.clock.jump(2 * 3_600_000);
    const later = await createHarness({ clock: harness.clock, background: false, history: new HistoryFiles(dir) });
    await later.engine.start();
    assert.equal(later.engine.status('aq')?.requestsLastHour, 0);
    assert.equal(later.engine.status('aq')?.requestsLastDay, 2);
    await later.engine.stop();
    await later.engine.closeHistory();

    harness.clock.jump(DAY_MS);
    const dayAfter = await createHarness({ clock: harness.clock, background: false, history: new HistoryFiles(dir) });
    await dayAfter.engine.start();
    assert.equal(dayAfter.engine.status('aq')?.requestsLastDay, 0);
    await dayAfter.engine.stop();
    await dayAfter.engine.closeHistory();
    // The day-old times were dropped from the file when it was read.
    assert.deepEqual(await lines(join(dir, REQUESTS_FILE_NAME)), []);
  });

  test('request times are kept one line per profile and batch; a file of the older one-request lines still counts', async () => {
    const dir = await freshDir();
    const clock = new FakeClock();
    const now = clock.now();
    // An upgrade: lines of the older format (one request a line, ISO time) followed by the newer one.
    const old = [now - 2 * 3_600_000, now - 30 * 60_000].map((at) => `{"at":"${new Date(at).toISOString()}","profileId":"aq"}\n`).join('');
    const newer = `{"profileId":"aq","times":[${now - 10 * 60_000},${now - DAY_MS - 1}]}\n{"profileId":"gone","times":[${now - 5 * 60_000}]}\n`;
    await writeFile(join(dir, REQUESTS_FILE_NAME), old + newer, { mode: 0o600 });
    const problems: HistoryProblem[] = [];
    const harness = await createHarness({ clock, background: false, history: new HistoryFiles(dir), logger: { debug: () => undefined, info: () => undefined, warn: (message) => problems.push({ message, file: '' }), error: () => undefined } });
    await harness.engine.start();
    assert.deepEqual(problems, []);
    // The time older than a day on the newer line counts for nothing.
    assert.equal(harness.engine.status('aq')?.requestsLastHour, 2);
    assert.equal(harness.engine.status('aq')?.requestsLastDay, 3);
    await harness.engine.refresh('aq');
    await harness.engine.refresh('aq');
    await harness.engine.stop();
    await harness.engine.closeHistory();
    const written = (await lines(join(dir, REQUESTS_FILE_NAME))).slice(4);
    assert.deepEqual(written.map((line) => line.profileId), ['aq'], 'one line for the batch of two requests');
    assert.equal((written[0]?.times as number[]).length, 2);

    const later = await createHarness({ clock, background: false, history: new HistoryFiles(dir) });
    await later.engine.start();
    assert.equal(later.engine.status('aq')?.requestsLastHour, 4);
    assert.equal(later.engine.status('aq')?.requestsLastDay, 5);
    await later.engine.stop();
    await later.engine.closeHistory();
  });

  test('a request line with times that are not epoch milliseconds is damaged and moved aside', async () => {
    const dir = await freshDir();
    const clock = new FakeClock();
    const good = `{"profileId":"aq","times":[${clock.now() - 1_000}]}\n`;
    await writeFile(join(dir, REQUESTS_FILE_NAME), `${good}{"profileId":"aq","times":["soon"]}\n{"profileId":"aq","times":[]}\n`, { mode: 0o600 });
    const problems: HistoryProblem[] = [];
    const files = new HistoryFiles(dir);
    const kept = await files.load({ now: () => clock.now(), report: (problem) => problems.push(problem) });
    assert.deepEqual([...kept.requests], [['aq', [clock.now() - 1_000]]]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /2 unreadable lines/);
    assert.equal(await readFile(join(dir, REQUESTS_FILE_NAME), 'utf8'), good);
    await files.close();
  });

  test('keeps the last 10,000 entries of the last 30 days, on disk and after a restart', async () => {
    const dir = await freshDir();
    const clock = new FakeClock();
    const now = clock.now();
    let text = '';
    // 12,000 entries: the first 3,000 are 40 days old, the rest from the last hours.
    for (let i = 0; i < 12_000; i += 1) {
      const at = i < 3_000 ? now - 40 * DAY_MS + i : now - 3_600_000 + i;
      text += activityLine(at, 'token-issued', 'aq', `c${i}`);
    }
    await writeFile(join(dir, ACTIVITY_FILE_NAME), text, { mode: 0o600 });
    const harness = await createHarness({ clock, background: false, history: new HistoryFiles(dir) });
    await harness.engine.start();
    const entries = harness.engine.activity();
    assert.equal(entries.length, 9_000);
    assert.equal(entries[0]?.client, 'c3000');
    assert.equal(entries.at(-1)?.client, 'c11999');
    const onDisk = await lines(join(dir, ACTIVITY_FILE_NAME));
    assert.equal(onDisk.length, 9_000);
    assert.equal(onDisk[0]?.client, 'c3000');
    await harness.engine.stop();
    await harness.engine.closeHistory();
  });

  test('compacts a growing file to its bounds while running, in one atomic rename', async () => {
    const dir = await freshDir();
    const log = new ActivityLog(20_000);
    const clock = new FakeClock();
    const problems: HistoryProblem[] = [];
    const history = new HistoryFiles(dir, { minCompactBytes: 64 * 1024 });
    await history.load({ now: () => clock.now(), report: (problem) => problems.push(problem) });
    history.follow(log);
    // 20,000 entries in batches of 1,000: the file is compacted whenever it has doubled since the last
    // time (and passed the minimum), so it is cut to the last 10,000 once it holds more.
    for (let batch = 0; batch < 20; batch += 1) {
      for (let i = 0; i < 1_000; i += 1) log.append(clock.now() + batch * 1_000 + i, 'token-issued', 'aq', `b${batch}-${i}`);
      history.activityAdded();
      await history.flush();
    }
    await history.close();
    const onDisk = await lines(join(dir, ACTIVITY_FILE_NAME));
    // Compacted to the last 10,000 at some point, with what came after appended since.
    assert.ok(onDisk.length < 20_000, `${onDisk.length} lines`);
    assert.ok(onDisk.length >= 10_000, `${onDisk.length} lines`);
    assert.equal(onDisk.at(-1)?.client, 'b19-999');
    // In order, with nothing missing after the cut.
    const first = Number(String(onDisk[0]?.client).split('-')[0]?.slice(1)) * 1_000 + Number(String(onDisk[0]?.client).split('-')[1]);
    assert.deepEqual(
      onDisk.map((line) => line.client),
      onDisk.map((_, i) => `b${Math.floor((first + i) / 1_000)}-${(first + i) % 1_000}`),
    );
    const names = await readdir(dir);
    assert.deepEqual(names.filter((name) => name.endsWith('.tmp') || name.endsWith('.lock')), []);
    assert.deepEqual(problems, []);
    assert.equal((await stat(join(dir, ACTIVITY_FILE_NAME))).mode & 0o777, 0o600);
  });

  test('a damaged file is moved aside whole and reported, its readable entries kept, and the engine runs on', async () => {
    const dir = await freshDir();
    const clock = new FakeClock();
    const now = clock.now();
    const good = [activityLine(now - 3_000, 'token-issued', 'aq', 'one'), activityLine(now - 2_000, 'token-issued', 'aq', 'two')];
    const damaged = `${good[0]}{"at":"not a time","kind":"token-issued"}\nthis is not json\n${good[1]}{"at":"${new Date(now).toISOString()}","kind":"tok`;
    await writeFile(join(dir, ACTIVITY_FILE_NAME), damaged, { mode: 0o644 });
    await writeFile(join(dir, REQUESTS_FILE_NAME), `{"at":"${new Date(now - 1_000).toISOString()}","profileId":"aq"}\n[1,2]\n`);
    const logged: { message: string; fields?: Record<string, unknown> }[] = [];
    const quiet = () => {};
    const logger = { debug: quiet, info: quiet, error: quiet, warn: (message: string, fields?: Record<string, unknown>) => logged.push({ message, ...(fields === undefined ? {} : { fields }) }) };
    const harness = await createHarness({ clock, background: false, history: new HistoryFiles(dir), logger });
    await harness.engine.start();
    assert.deepEqual(
      harness.engine.activity().map((entry) => entry.client),
      ['one', 'two'],
    );
    assert.equal(harness.engine.status('aq')?.requestsLastHour, 1);
    assert.equal(logged.length, 2, JSON.stringify(logged));
    const activityReport = logged.find((entry) => entry.fields?.file === join(dir, ACTIVITY_FILE_NAME));
    assert.ok(activityReport);
    assert.match(activityReport.message, /activity log file had 3 unreadable lines; it was moved aside and its 2 readable entries kept/);
    const movedTo = activityReport.fields?.movedTo as string;
    assert.ok(movedTo.startsWith(join(dir, `${ACTIVITY_FILE_NAME}.damaged-`)));
    assert.equal(await readFile(movedTo, 'utf8'), damaged, 'the damaged file is kept whole');
    assert.equal(await readFile(join(dir, ACTIVITY_FILE_NAME), 'utf8'), good.join(''));
    assert.equal((await stat(join(dir, ACTIVITY_FILE_NAME))).mode & 0o777, 0o600);
    // And the engine goes on recording.
    await harness.engine.getToken('aq', { client: 'three' });
    await harness.engine.stop();
    await harness.engine.closeHistory();
    assert.deepEqual(
      (await lines(join(dir, ACTIVITY_FILE_NAME))).filter((line) => line.kind === 'token-issued').map((line) => line.client),
      ['one', 'two', 'three'],
    );
  });

  test('a file that cannot be read or written is reported once and never stops the engine', async () => {
    const dir = await freshDir();
    // A folder where the file should be: neither readable as a file nor writable.
    await mkdir(join(dir, ACTIVITY_FILE_NAME));
    await chmod(dir, 0o700);
    const problems: HistoryProblem[] = [];
    const history = new HistoryFiles(dir);
    const log = new ActivityLog(10);
    const clock = new FakeClock();
    const kept = await history.load({ now: () => clock.now(), report: (problem) => problems.push(problem) });
    assert.deepEqual(kept.activity, []);
    history.follow(log);
    for (let i = 0; i < 3; i += 1) {
      log.append(clock.now(), 'token-issued', 'aq', 'c');
      history.activityAdded();
      await history.flush();
    }
    await history.close();
    assert.equal(problems.length, 2, JSON.stringify(problems));
    assert.match(problems[0]?.message ?? '', /activity log file cannot be read \(EISDIR\)/);
    assert.match(problems[1]?.message ?? '', /activity log could not be written \(EISDIR\); it is kept in memory and tried again/);
  });
});
