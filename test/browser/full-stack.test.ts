import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import * as server from '@steward/broker-server';
import { launchChromium, newContext, watchProblems } from './browser.ts';

/** What `startSteward()` (broker + demo vendors + web app, being added by the lead) is expected to give. */
interface RunningSteward {
  url: string;
  token: string;
  close(): Promise<void>;
}
type StartSteward = (options?: Record<string, unknown>) => Promise<RunningSteward>;
const startSteward = (server as unknown as { startSteward?: StartSteward }).startSteward;

// Not skipped silently: the suite's name says why it does not run yet.
describe.skipIf(startSteward === undefined)(
  startSteward === undefined ? 'full stack in a browser (waits for @steward/broker-server to export startSteward)' : 'full stack in a browser',
  { timeout: 120_000 },
  () => {
    let browser: Browser;
    let steward: RunningSteward;
    beforeAll(async () => {
      steward = await startSteward!();
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await steward?.close();
    });

    it('grocery task in offline mode: offers with the affiliate flag, approve, the order in a verified log; policy break, fix, dry run, apply, roll back', async () => {
      const context = await newContext(browser, 1280);
      const page = await context.newPage();
      const problems = watchProblems(page);
      page.on('dialog', (dialog) => void dialog.accept());
      await page.goto(steward.url);
      await page.getByLabel('API token').fill(steward.token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByLabel("Your agent's provenance").textContent()).toContain('Offline rules mode');

      await page.getByLabel('Message to your agent').fill('groceries for the week under $80, delivered Saturday');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('article.offer').first().waitFor();
      await expect.poll(() => page.locator('article.offer').filter({ hasText: 'affiliated counterparty' }).count()).toBeGreaterThan(0);
      const approval = page.locator('article.approval').first();
      await approval.waitFor();
      await approval.getByRole('button', { name: /^Approve/ }).click();
      await expect.poll(() => approval.getByRole('status').textContent()).toContain('ordered');

      await page.getByRole('link', { name: 'Audit log' }).click();
      await expect.poll(() => page.getByTestId('consistency').textContent()).toContain('First visit');
      await page.getByLabel('Type').selectOption('order.signed');
      await page.getByRole('button', { name: 'Filter' }).click();
      await expect.poll(() => page.locator('table.log tbody tr').count()).toBeGreaterThan(0);
      await page.reload();
      await expect.poll(() => page.getByTestId('consistency').textContent()).toMatch(/Verified|Unchanged/);

      await page.getByRole('link', { name: 'Policies' }).click();
      const editor = page.getByLabel('Policy (YAML)');
      await editor.waitFor();
      const original = await editor.inputValue();
      await editor.fill(`${original}\nbudgets: nonsense\n`);
      await expect.poll(() => page.getByTestId('validation').textContent()).toContain('problem');
      expect(await page.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
      await editor.fill(original.replace(/limit: (\d+)\.00 USD/, (_m, n: string) => `limit: ${Number(n) - 1}.00 USD`));
      await expect.poll(() => page.getByTestId('validation').textContent()).toBe('The policy is valid.');
      await page.getByRole('button', { name: 'Dry run against recent decisions' }).click();
      await page.getByLabel('Changes to the policy text').waitFor();
      await page.getByLabel('What changed and why (kept in the history)').fill('one dollar less');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByText(/Applied as version/).waitFor();
      await page.getByRole('button', { name: /^Roll back to version/ }).first().click();
      await expect.poll(() => editor.inputValue()).toBe(original);
      expect(problems).toEqual([]);
      await context.close();
    });
  },
);
