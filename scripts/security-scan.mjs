#!/usr/bin/env node
// Static security scan of the Electron code with @doyensec/electronegativity: main/ and
// preload/ (the TypeScript sources; the scanner parses TS), plus the built dashboard when present so
// its HTML is checked too. Prints one line per finding and exits non-zero on any HIGH or CRITICAL.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const scanner = require('@doyensec/electronegativity');
const run = scanner.default ?? scanner;

// The scanner reads the Electron version from a package.json beside the input; ours is one level up.
const electronVersion = JSON.parse(readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
const sources = ['main', 'preload', 'dist/renderer'].filter((dir) => existsSync(path.join(root, dir)));
const FAILING = new Set(['HIGH', 'CRITICAL']);

// Global checks (navigation limits, permission handler, CSP) look across every file of one run, so
// the sources are scanned together: copied into one temporary app folder with a package.json that
// names our Electron version (the scanner would otherwise assume Electron 0.1 and its old defaults).
const scanDir = mkdtempSync(path.join(tmpdir(), 'tokentray-scan-'));
for (const dir of sources) cpSync(path.join(root, dir), path.join(scanDir, dir), { recursive: true });
writeFileSync(path.join(scanDir, 'package.json'), JSON.stringify({ name: 'tokentray', main: 'main/index.ts', devDependencies: { electron: electronVersion } }));

let result;
try {
  result = await run({
    input: scanDir,
    isRelative: true,
    electronVersionOverride: electronVersion,
    // This one asks GitHub for the newest Electron releases: a network check, not a code check, and
    // it makes offline builds wait. Electron upgrades are tracked by Dependabot instead.
    excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
  });
} finally {
  rmSync(scanDir, { recursive: true, force: true });
}

let failing = 0;
for (const error of result.errors ?? []) console.log(`  could not parse ${error.file ?? '?'}: ${error.message ?? error}`);
for (const issue of result.issues) {
  const severity = issue.severity.name;
  if (FAILING.has(severity)) failing += 1;
  const where = issue.file === 'N/A' ? '(whole app)' : `${issue.file}:${issue.location.line}`;
  console.log(`  ${severity.padEnd(8)} ${issue.confidence.name.padEnd(9)} ${issue.id.padEnd(40)} ${where}`);
}
console.log(
  `electronegativity (Electron ${electronVersion}): ${result.issues.length} finding(s), ${failing} high or critical, in ${sources.join(', ')}`,
);
process.exit(failing > 0 ? 1 : 0);
