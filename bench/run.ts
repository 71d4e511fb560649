// npm run bench: every benchmark in turn. Each reports ratios to a baseline measured in the same run,
// never a timed pass/fail. Each suite runs in a process of its own, so one's heap and timers (the
// engine's thousand profiles) do not weigh on the next one's measurements.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const suites = ['engine', 'api', 'relay', 'renderer', 'vault', 'cli', 'client-auth', 'sinks'] as const;
const only = process.argv.slice(2);
const unknown = only.filter((name) => !(suites as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark: ${unknown.join(', ')}. Choose from: ${suites.join(', ')}.`);
  process.exit(2);
}

let failed = false;
for (const name of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  const path = fileURLToPath(new URL(`./${name}.bench.ts`, import.meta.url));
  if (!existsSync(path)) continue;
  console.log(`\n## ${name}`);
  const script = `import(${JSON.stringify(new URL(`./${name}.bench.ts`, import.meta.url).href)}).then((m) => m.run())`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`The ${name} benchmark failed (exit ${result.status ?? result.signal}).`);
    failed = true;
  }
}
if (failed) process.exit(1);
