import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium, never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Launches headless Debian Chromium with a fresh profile directory. */
export async function launchChromium(): Promise<Browser> {
  // launch() always starts Chromium on a fresh temporary profile of its own (--user-data-dir),
  // removed when the browser closes; passing the flag ourselves is refused by playwright
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where screenshots go (committed, shown in the README). */
export const SCREENSHOTS = new URL('../../docs/screenshots/', import.meta.url);

/** Saves a screenshot of the page as `docs/screenshots/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
}

/**
 * Collects what must never happen on a page: CSP violations, uncaught errors, console errors other
 * than the failed requests a test provokes on purpose.
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !/Failed to load resource/.test(text)) problems.push(`console: ${text}`);
    if (/Content Security Policy|Trusted Type/i.test(text)) problems.push(`csp: ${text}`);
  });
  return problems;
}

/** A context with the given viewport, reduced motion on so screenshots are stable. */
export function newContext(browser: Browser, width: number, height = 900): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width, height }, reducedMotion: 'reduce', colorScheme: 'light' });
}
