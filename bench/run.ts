// npm run bench: every benchmark in turn. Each reports ratios to a baseline measured in the same run,
// never a timed pass/fail.
const suites = ['engine', 'api', 'renderer'] as const;
const only = process.argv.slice(2);

for (const name of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  const path = new URL(`./${name}.bench.ts`, import.meta.url);
  let mod: { run: () => Promise<void> };
  try {
    mod = (await import(path.href)) as { run: () => Promise<void> };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') continue;
    throw error;
  }
  console.log(`\n## ${name}`);
  await mod.run();
}
