// What every browser test shares: Debian's Chromium through playwright-core
// (which never downloads a browser), a record of every request the page
// makes, an accessibility check with axe-core, and a screenshot of the page
// when the test fails.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const outputDir = process.env.BROWSER_OUTPUT_DIR ?? 'test-results';

/** One JSON line per step, read by the Rust test that runs this script. */
export function report(event, fields = {}) {
  console.log(JSON.stringify({ event, ...fields }));
}

/**
 * Runs `test(page, requests, problems)` in a fresh headless Chromium, with
 * every URL the page requested and every script error and console error it
 * logged; on any error,
 * saves `<name>-failure.png` in `outputDir`, reports it and exits 1.
 */
export async function run(name, test) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    // Root in CI has no user namespace for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  const problems = [];
  page.on('pageerror', (error) => {
    problems.push(error.message);
    report('page-error', { message: error.message });
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    problems.push(message.text());
    report('console-error', { text: message.text() });
  });
  page.setDefaultTimeout(Number(process.env.STEP_TIMEOUT_MS ?? 15_000));
  try {
    await test(page, requests, problems);
    report('passed', { test: name });
    await browser.close();
  } catch (error) {
    const screenshot = join(outputDir, `${name}-failure.png`);
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    report('failed', { test: name, error: String(error?.stack ?? error), screenshot, url: page.url() });
    await browser.close();
    process.exit(1);
  }
}

/** Fails on axe-core's serious and critical findings (WCAG 2 A and AA). */
export async function checkAccessibility(page, where) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  report('accessibility', { where, checks: result.passes.length, violations: serious.map((v) => v.id) });
  if (serious.length > 0) {
    const details = serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    throw new Error(`accessibility violations on ${where}:\n${details.join('\n')}`);
  }
}
