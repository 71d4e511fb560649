// axe-core, the accessibility engine most teams run in CI, run in a Chromium page of the e2e tests.
// The page's CSP (script-src 'self') does not govern what is evaluated over CDP, so axe is loaded
// that way into the dashboard under its own policy.
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** Loads axe into the page once; later calls find it there. */
export async function injectAxe(page: Page): Promise<void> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource);
}

/** Runs axe on the page as it stands and returns the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  await injectAxe(page);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`)) as Violation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** One line per violation: its impact, rule, help and the first elements it found. */
export function describeViolations(violations: Violation[]): string {
  return violations
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}x: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')})`)
    .join('\n');
}
