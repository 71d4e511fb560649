// The engine benchmark: 1,000 profiles with 300 s tokens driven through a simulated 24 hours
// with the fake clock. Prints upstream requests against the ideal count, wall and CPU time of the
// simulation, heap used, and the ratio to baselines measured in the same run (so the ratio is the
// engine's own overhead, whatever the machine):
// - bare provider calls for the same profiles, each made when a timer of the same fake clock fires,
//   and timed again at the renewal point: the least any refresher does for these refreshes, with the
//   same clock, timers and thousand profiles' memory as the engine (the headline);
// - the same number of bare provider calls for one profile in a plain loop: no timers, and one
//   profile's objects that stay in the processor's caches (the figure this benchmark used to print).
// The engine keeps its history in real files as the app does, so their cost is in the ratio.
// TOKENTRAY_BENCH_INSTRUCTIONS=1 runs the same under valgrind's callgrind and counts instructions per
// refresh for each side instead: slow (run it with fewer profiles or hours), but a loaded machine
// does not move it.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_ENGINE_OPTIONS } from '../main/core/engine/token-engine.js';
import { refreshPoint } from '../main/core/engine/lifetime.js';
import { resolveProfile } from '../main/core/profiles.js';
import { acquiaProvider } from '../main/core/providers/index.js';
import { ACTIVITY_FILE_NAME, HistoryFiles, REQUESTS_FILE_NAME } from '../main/node/history-files.js';
import { acquiaProfile, createHarness, seededRandom } from '../test/support/engine-harness.js';
import { FakeClock } from '../test/support/fake-clock.js';
import { FakeTokenEndpoint } from '../test/support/fake-token-endpoint.js';

const PROFILES = Number(process.env.TOKENTRAY_BENCH_PROFILES ?? 1000);
const LIFETIME_SEC = 300;
const DAY_MS = 86_400_000;
const BASELINE_SAMPLE = 50_000;
const HOURS = Number(process.env.TOKENTRAY_BENCH_HOURS ?? 24);
/** The activity log and request times go to real files, as in the app (TOKENTRAY_BENCH_HISTORY=0: memory only). */
const HISTORY = process.env.TOKENTRAY_BENCH_HISTORY !== '0';
const INSTRUCTIONS = process.env.TOKENTRAY_BENCH_INSTRUCTIONS === '1';
/**
 * CPU time on a shared or virtual machine moves a lot between identical runs (the baseline alone by
 * a quarter here), so after the timed run the same simulation is also counted in instructions, at
 * a scale that takes about two minutes, wherever valgrind is installed (TOKENTRAY_BENCH_INSTRUCTIONS=0: not).
 */
const ALSO_INSTRUCTIONS = process.env.TOKENTRAY_BENCH_INSTRUCTIONS !== '0' && process.env.TOKENTRAY_BENCH_UNDER_CALLGRIND !== '1';
const INSTRUCTION_SCALE = { TOKENTRAY_BENCH_PROFILES: '250', TOKENTRAY_BENCH_HOURS: '6' };
/** `scheduled`: this process only measures the baseline on timers (see scheduledCalls) and prints it as JSON. */
const PART = process.env.TOKENTRAY_BENCH_PART;
const SELF_SCRIPT = `import(${JSON.stringify(import.meta.url)}).then((m) => m.run())`;
/** Set in the process that runs under callgrind: it dumps the counts at each phase's end. */
const UNDER_CALLGRIND = process.env.TOKENTRAY_BENCH_UNDER_CALLGRIND === '1';

/** Ends a phase under callgrind: the instructions since the last dump go to a file named by `label`. */
function phaseDone(label: string): Promise<void> {
  if (!UNDER_CALLGRIND) return Promise.resolve();
  // Asynchronous on purpose: callgrind answers between the target's own instructions, so the event
  // loop must be free to run while callgrind_control waits.
  return new Promise((resolve, reject) => {
    execFile('callgrind_control', [`--dump=${label}`, String(process.pid)], (error) => (error === null ? resolve() : reject(error)));
  });
}

/** Runs this benchmark (or one part of it) under callgrind: instructions per refresh for each phase dumped. */
function callgrindCounts(env: NodeJS.ProcessEnv, output: 'inherit' | 'ignore'): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'tokentray-bench-callgrind-'));
  try {
    const result = spawnSync(
      'valgrind',
      ['--tool=callgrind', `--callgrind-out-file=${join(dir, 'cg.%p')}`, process.execPath, '--import', 'tsx', '--input-type=module', '-e', SELF_SCRIPT],
      { stdio: ['ignore', output, 'pipe'], env: { ...process.env, ...env, TOKENTRAY_BENCH_INSTRUCTIONS: '0', TOKENTRAY_BENCH_UNDER_CALLGRIND: '1' }, encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`valgrind failed (exit ${result.status ?? result.signal}): ${result.stderr.slice(-2000)}`);
    const counts = new Map<string, number>();
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8');
      // A phase's dump is labelled with its name and how many token requests it made.
      const phase = /^desc: Trigger: dump (\w+):(\d+)$/m.exec(text);
      const summary = /^summary: (\d+)$/m.exec(text)?.[1];
      if (phase !== null && summary !== undefined) counts.set(phase[1] as string, Number(summary) / Number(phase[2]));
    }
    return counts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints instructions per refresh for the engine and both baselines, each counted under callgrind. */
function countInstructions(scale: NodeJS.ProcessEnv = {}): void {
  const output = Object.keys(scale).length === 0 ? 'inherit' : 'ignore';
  const counts = callgrindCounts(scale, output);
  for (const [label, count] of callgrindCounts({ ...scale, TOKENTRAY_BENCH_PART: 'scheduled' }, 'ignore')) counts.set(label, count);
  const per = (label: string): number => {
    const instructions = counts.get(label);
    if (instructions === undefined) throw new Error(`No callgrind dump for ${label}.`);
    return instructions;
  };
  const engine = per('engine');
  const scheduled = per('scheduled');
  const loop = per('baseline');
  console.log(`instructions per refresh engine ${kilo(engine)}, bare calls on timers ${kilo(scheduled)}: ratio ${(engine / scheduled).toFixed(2)}x`);
  console.log(`                         (bare calls in a plain loop ${kilo(loop)}: ratio ${(engine / loop).toFixed(2)}x)`);
}

/** A full collection before reading the heap; exposed on the fly when node ran without --expose-gc. */
function gc(): void {
  let collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) {
    v8.setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

function kilo(instructions: number): string {
  return `${(instructions / 1000).toFixed(0)}k`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

interface Measured {
  wallMs: number;
  cpuMs: number;
}

/** A baseline run: its time, and how many token requests it made in it. */
interface Timed {
  measured: Measured;
  requests: number;
}

/**
 * The least a refresher does: for each profile, a timer on the run's fake clock that makes the
 * bare provider call and sets the next timer at the token's renewal point (the engine's rule, so
 * both make the same requests at the same spacing), over the same simulated hours as the engine.
 */
async function scheduledCalls(profileCount: number, hours: number): Promise<Timed> {
  const clock = new FakeClock();
  const endpoint = new FakeTokenEndpoint(clock, { lifetimeSec: LIFETIME_SEC, lightweight: true });
  const secrets = { clientSecret: 'not a real secret &+%/' };
  const random = seededRandom(7);
  const profiles = Array.from({ length: profileCount }, (_, i) => resolveProfile(acquiaProfile(`p${i}`)));
  let failed: unknown = null;
  const measured = await measure(async () => {
    for (const profile of profiles) {
      // A signal of its own per profile, as each of the engine's refreshers passes one.
      const context = { fetch: endpoint.fetch, clock, signal: new AbortController().signal };
      const refresh = (): void => {
        acquiaProvider.obtain(profile, secrets, context).then(
          (token) => {
            const at = refreshPoint(token, DEFAULT_ENGINE_OPTIONS, random) ?? clock.now();
            clock.setTimeout(refresh, at - clock.now());
          },
          (error: unknown) => {
            failed = error;
          },
        );
      };
      refresh();
    }
    for (let hour = 0; hour < hours; hour += 1) await clock.advance(DAY_MS / 24);
  });
  if (failed !== null) throw failed;
  return { measured, requests: endpoint.requestCount };
}

async function measure(work: () => Promise<void>): Promise<Measured> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * The baseline on timers in a process of its own: run after the engine in the engine's process it
 * was a quarter slower than alone (the engine's heap, and provider code compiled for the engine's
 * objects), which would flatter the engine.
 */
function scheduledInItsOwnProcess(): Timed {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SELF_SCRIPT], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TOKENTRAY_BENCH_PART: 'scheduled' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`The baseline on timers failed (exit ${result.status ?? result.signal}).`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as Timed;
}

/**
 * The baseline on timers measured once before the engine and once after, taken as one run (its time
 * per refresh is then their mean): this machine's speed drifts by a quarter over a minute, and a
 * drift during the run then moves both sides.
 */
function bothRuns(before: Timed, after: Timed): Timed {
  return {
    measured: { wallMs: before.measured.wallMs + after.measured.wallMs, cpuMs: before.measured.cpuMs + after.measured.cpuMs },
    requests: before.requests + after.requests,
  };
}

export async function run(): Promise<void> {
  if (INSTRUCTIONS) {
    countInstructions();
    return;
  }
  if (PART === 'scheduled') {
    await phaseDone('setup:1');
    const scheduled = await scheduledCalls(PROFILES, HOURS);
    await phaseDone(`scheduled:${scheduled.requests}`);
    console.log(JSON.stringify(scheduled));
    return;
  }
  const profiles = Array.from({ length: PROFILES }, (_, i) => acquiaProfile(`p${i}`));
  const historyDir = HISTORY ? mkdtempSync(join(tmpdir(), 'tokentray-bench-history-')) : null;
  const history = historyDir === null ? null : new HistoryFiles(historyDir);
  const harness = await createHarness({
    profiles,
    random: seededRandom(7),
    endpoint: { lifetimeSec: LIFETIME_SEC, lightweight: true },
    ...(history === null ? {} : { history }),
    // The harness would keep every event: the heap and time figures are the engine's own.
    recordEvents: false,
  });
  const { clock, endpoint, engine } = harness;
  // One listener, as the dashboard is one, so every event is built.
  let events = 0;
  engine.onDidEmit(() => {
    events += 1;
  });

  const scheduledBefore = UNDER_CALLGRIND ? null : scheduledInItsOwnProcess();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  await phaseDone('setup:1');
  const sim = await measure(async () => {
    await engine.start();
    // Advance in hour steps so a demand can be checked each hour; timers fire in order within each.
    for (let hour = 0; hour < HOURS; hour += 1) {
      await clock.advance(DAY_MS / 24);
      const token = await engine.getToken(`p${hour}`);
      if (token.expiresAt === null || token.expiresAt <= clock.now()) throw new Error('expired token handed out');
    }
  });
  await phaseDone(`engine:${endpoint.requestCount}`);
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  const statuses = engine.statuses();
  const fresh = statuses.filter((s) => s.state === 'fresh' || s.state === 'refreshing').length;
  const perProfileDay = statuses.reduce((sum, s) => sum + s.requestsLastDay, 0) / statuses.length;
  await engine.stop();
  const closing = await measure(() => engine.closeHistory());
  const historyBytes = historyDir === null ? 0 : [ACTIVITY_FILE_NAME, REQUESTS_FILE_NAME].reduce((sum, name) => sum + statSync(join(historyDir, name)).size, 0);
  if (historyDir !== null) rmSync(historyDir, { recursive: true, force: true });

  const requests = endpoint.requestCount;
  const ideal = (PROFILES * HOURS * (DAY_MS / 24)) / (0.75 * LIFETIME_SEC * 1000);

  // Under callgrind, countInstructions counts the baseline on timers in a run of its own.
  const scheduled = scheduledBefore === null ? null : bothRuns(scheduledBefore, scheduledInItsOwnProcess());

  // The plain loop: bare provider calls against the same endpoint, with an abort signal as the
  // engine passes one. A sample of calls is timed and scaled to the same number of requests, to
  // keep the whole benchmark near a minute.
  const sample = Math.min(requests, BASELINE_SAMPLE);
  const baseClock = new FakeClock();
  const baseEndpoint = new FakeTokenEndpoint(baseClock, { lifetimeSec: LIFETIME_SEC, lightweight: true });
  const resolved = resolveProfile(acquiaProfile('baseline'));
  const secrets = { clientSecret: 'not a real secret &+%/' };
  await phaseDone('between:1');
  const base = await measure(async () => {
    const controller = new AbortController();
    for (let i = 0; i < sample; i += 1) {
      await acquiaProvider.obtain(resolved, secrets, { fetch: baseEndpoint.fetch, clock: baseClock, signal: controller.signal });
    }
  });
  await phaseDone(`baseline:${sample}`);
  const scale = requests / sample;
  base.wallMs *= scale;
  base.cpuMs *= scale;

  console.log(`profiles                 ${PROFILES} (tokens of ${LIFETIME_SEC} s), simulated ${HOURS} h`);
  console.log(`upstream requests        ${requests} (ideal ${Math.round(ideal)}, ratio ${(requests / ideal).toFixed(4)})`);
  console.log(`requests/profile/day     ${perProfileDay.toFixed(1)} (status counters)`);
  console.log(`timers fired             ${clock.fired}`);
  console.log(`events emitted           ${events}`);
  console.log(`profiles fresh at end    ${fresh}/${PROFILES}`);
  console.log(`history files            ${historyDir === null ? 'off (memory only)' : `${mb(historyBytes)} on disk at the end (last write ${closing.wallMs.toFixed(0)} ms)`}`);
  console.log(`simulation wall time     ${(sim.wallMs / 1000).toFixed(2)} s`);
  console.log(`simulation CPU time      ${(sim.cpuMs / 1000).toFixed(2)} s`);
  console.log(`heap used after          ${mb(heapAfter)} (+${mb(heapAfter - heapBefore)} over the start, after a full GC)`);
  // Everything the engine keeps for a profile after a day (under 5 KB): its refresher, token,
  // request counter and timer, with the fake endpoint keeping no per-request records.
  console.log(`heap per profile         ${((heapAfter - heapBefore) / 1024 / PROFILES).toFixed(1)} KB (goal < 5 KB)`);
  if (scheduled !== null) {
    // Per refresh, since the two runs make nearly but not exactly the same number of requests.
    const onTimers = scheduled.measured;
    const ratio = (engine: number, base: number): string => `${(engine / requests / (base / scheduled.requests)).toFixed(2)}x`;
    console.log(`baseline: bare provider calls on timers (${PROFILES} profiles, ${HOURS} h, in a process of its own before and after the engine)`);
    console.log(`                         ${scheduled.requests} requests: wall ${(onTimers.wallMs / 1000).toFixed(2)} s, CPU ${(onTimers.cpuMs / 1000).toFixed(2)} s`);
    console.log(`ratio to baseline        wall ${ratio(sim.wallMs, onTimers.wallMs)}, CPU ${ratio(sim.cpuMs, onTimers.cpuMs)} per refresh`);
  }
  console.log(`plain loop (${sample} bare calls for one profile, scaled to ${requests})`);
  console.log(`                         wall ${(base.wallMs / 1000).toFixed(2)} s, CPU ${(base.cpuMs / 1000).toFixed(2)} s`);
  console.log(`ratio to the plain loop  wall ${(sim.wallMs / base.wallMs).toFixed(2)}x, CPU ${(sim.cpuMs / base.cpuMs).toFixed(2)}x`);
  if (ALSO_INSTRUCTIONS) {
    if (spawnSync('valgrind', ['--version']).status !== 0) {
      console.log('instructions per refresh (valgrind is not installed: scripts/install-system-deps.sh installs it)');
      return;
    }
    process.stdout.write(`instructions, ${INSTRUCTION_SCALE.TOKENTRAY_BENCH_PROFILES} profiles over ${INSTRUCTION_SCALE.TOKENTRAY_BENCH_HOURS} h under callgrind (steady where CPU time is not):\n`);
    countInstructions(INSTRUCTION_SCALE);
  }
}
