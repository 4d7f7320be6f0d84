/**
 * The web app on the real stack: the broker with its SQLite file, the demo vendor world (real A2A
 * vendors with their own keys) and the offline agent, started in-process by `startBroker()`.
 * Parts whose routes the broker does not serve yet are skipped by name, not silently: each says
 * which route it waits for, and runs as soon as the route answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startBroker, type RunningBroker } from '@steward/broker-server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, screenshot, watchProblems } from './browser.ts';

const quiet = new Writable({ write: (_c, _e, cb) => cb() });
let broker: RunningBroker;
let browser: Browser;
let dir: string;

async function served(path: string): Promise<boolean> {
  const res = await fetch(`${broker.url}${path}`, { headers: { authorization: `Bearer ${broker.token}` } });
  return res.status !== 404;
}

async function signIn(page: Page): Promise<void> {
  await page.goto(broker.url);
  await page.getByLabel('API token').fill(broker.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Pages' }).waitFor();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-web-e2e-'));
  broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0' }, quiet, { demo: true, demoBasePort: 0, collectionWindowMs: 1500, web: true });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the web app on the full stack (broker + demo vendors + offline agent)', { timeout: 120_000 }, () => {
  it('delegates a grocery task in offline mode, shows offers and the affiliate flag, and orders after approval', async () => {
    const context = await newContext(browser, 1280);
    const page = await context.newPage();
    const problems = watchProblems(page);
    await signIn(page);
    const provenance = page.getByLabel("Your agent's provenance");
    await expect.poll(() => provenance.textContent()).toContain('Offline rules mode: no language model is answering');
    await expect.poll(() => page.locator('.live').textContent()).toBe('Live');

    await page.getByLabel('Message to your agent').fill('groceries for this week under $80: milk, eggs, bread, bananas, chicken, coffee, delivered Saturday');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('article.offer').first().waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('article.offer .flag').count()).toBeGreaterThan(0);
    const approval = page.getByRole('log', { name: 'Conversation' }).locator('article.approval').first();
    await approval.waitFor();
    await screenshot(page, 'full-chat-wide');
    await approval.getByRole('button', { name: /^Approve/ }).click();
    await expect.poll(() => approval.getByRole('status').textContent(), { timeout: 30_000 }).toContain('ordered');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows the order in an audit log this browser verified (runs once the broker serves /api/audit)', async (ctx) => {
    if (!(await served('/api/audit/checkpoint'))) return ctx.skip();
    const context = await newContext(browser, 1280);
    const page = await context.newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect.poll(() => page.getByTestId('consistency').textContent()).toMatch(/First visit|Unchanged since|Verified: the log grew/);
    await page.getByLabel('Type').selectOption('order.signed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('table.log tbody tr').count()).toBeGreaterThan(0);
    // the log grows (a new task is recorded); on the next visit the browser checks a consistency proof
    const created = await fetch(`${broker.url}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${broker.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'groceries', summary: 'milk', items: [{ description: 'milk', quantity: 1 }], constraints: {} }),
    });
    expect(created.status).toBe(201);
    await page.reload();
    await expect.poll(() => page.getByTestId('consistency').textContent()).toMatch(/Verified: the log grew from \d+ to \d+ entries/);
    await page.getByRole('button', { name: /^Open entry/ }).first().click();
    await page.getByRole('region', { name: /Entry \d+/ }).waitFor();
    await screenshot(page, 'full-audit-wide');
    await context.close();
  });

  it('breaks a policy (inline error, nothing applied), fixes it, dry-runs, applies and rolls back (runs once the broker serves /api/policies)', async (ctx) => {
    if (!(await served('/api/policies/active'))) return ctx.skip();
    const context = await newContext(browser, 1280);
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page);
    await page.getByRole('link', { name: 'Policies' }).click();
    const editor = page.getByLabel('Policy (YAML)');
    await editor.waitFor();
    const original = await editor.inputValue();
    await editor.fill(original.replace(/limit: (\d+)\.00 USD/, 'limit: lots of money'));
    await expect.poll(() => page.getByTestId('validation').textContent()).toContain('problem');
    expect(await page.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
    await editor.fill(original.replace(/limit: (\d+)\.00 USD/, (_m, n: string) => `limit: ${Number(n) - 1}.00 USD`));
    await expect.poll(() => page.getByTestId('validation').textContent()).toBe('The policy is valid.');
    await page.getByRole('button', { name: "Run the policy's tests" }).click();
    await page.getByRole('heading', { name: /Tests: \d+ passed, 0 failed/ }).waitFor();
    await page.getByRole('button', { name: 'Dry run against recent decisions' }).click();
    await page.getByLabel('Changes to the policy text').waitFor();
    await page.getByLabel('What changed and why (kept in the history)').fill('one dollar less');
    await screenshot(page, 'full-policies-wide');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText(/Applied as version/).waitFor();
    await page.getByRole('button', { name: /^Roll back to version/ }).first().click();
    await expect.poll(() => editor.inputValue()).toBe(original);
    await context.close();
  });

  it('shows vendors with their ownership and spending, and my data, wide and at 390 px', async () => {
    for (const [width, suffix] of [
      [1280, 'wide'],
      [390, 'narrow'],
    ] as const) {
      const context = await newContext(browser, width, 900);
      const page = await context.newPage();
      const problems = watchProblems(page);
      await signIn(page);
      if (suffix === 'narrow') {
        await page.getByRole('heading', { name: 'Chat with your agent' }).waitFor();
        await screenshot(page, `full-chat-${suffix}`);
      }
      for (const [link, name] of [
        ['Audit log', 'audit'],
        ['Policies', 'policies'],
        ['Vendors', 'vendors'],
        ['My data', 'my-data'],
      ] as const) {
        if (suffix === 'wide' && (name === 'audit' || name === 'policies')) continue;
        await page.getByRole('link', { name: link }).click();
        await page.getByRole('heading', { level: 1 }).waitFor();
        await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        expect(overflow, name).toBeLessThanOrEqual(0);
        await screenshot(page, `full-${name}-${suffix}`);
      }
      expect(problems).toEqual([]);
      await context.close();
    }
  });
});
