/**
 * Settling an order whose outcome is unknown, in the web app on the real broker (its SQLite file,
 * its API, its audit log): the order is shown plainly, "not taken" asks first, then voids its money.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { verifyLog } from '@steward/audit';
import { startBroker, type RunningBroker } from '@steward/broker-server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unknownOrder as leaveUnknownOrder } from '../support/unknown-order.ts';
import { launchChromium, newContext, screenshot, watchProblems } from './browser.ts';

const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const VENDOR = 'https://coop.example';
let broker: RunningBroker;
let browser: Browser;
let dir: string;

const unknownOrder = (description: string, amountMinor: number) => leaveUnknownOrder(broker, VENDOR, description, amountMinor);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-web-settle-'));
  broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0', STEWARD_VENDOR_REFRESH_SECONDS: '0' }, quiet, { demo: false, web: true });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the web app: an order whose outcome is unknown', { timeout: 90_000 }, () => {
  it('is shown plainly with its money, and "not taken" asks first, then voids it and the spending drops', async () => {
    const order = unknownOrder('milk', 1890);
    const context = await newContext(browser, 1280);
    const page = await context.newPage();
    const problems = watchProblems(page);
    const dialogs: string[] = [];
    let acceptDialogs = false;
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void (acceptDialogs ? dialog.accept() : dialog.dismiss());
    });
    await page.goto(broker.url);
    await page.getByLabel('API token').fill(broker.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    // Every page says an order waits for the person, and leads to it.
    const waiting = page.getByRole('link', { name: '1 order with an unknown outcome: tell us what happened' });
    await waiting.click();

    const card = page.getByRole('article', { name: 'Order at coop.example with an unknown outcome' });
    await card.waitFor();
    expect(await card.textContent()).toContain('We do not know whether coop.example took this order; its $18.90 counts against your budget until you tell us.');
    const grocery = page.locator('ul.budgets li').filter({ hasText: 'your monthly grocery budget' });
    await expect.poll(() => grocery.textContent()).toContain('$18.90 of $600.00');
    await screenshot(page, 'orders-unsettled-wide');

    // Declining the confirmation changes nothing.
    await card.getByRole('button', { name: /did not take order/ }).click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toContain('Are you sure coop.example did not take this order? Its $18.90 will stop counting');
    expect(broker.steward.ledger.get(order.reservationId)?.state).toBe('committed');
    await card.waitFor();

    acceptDialogs = true;
    await card.getByRole('button', { name: /did not take order/ }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Noted:' }).textContent()).toBe(
      'Noted: coop.example did not take the order; its $18.90 no longer counts against your budgets.',
    );
    await card.waitFor({ state: 'detached' });
    await expect.poll(() => grocery.textContent()).toContain('$0.00 of $600.00');
    await waiting.waitFor({ state: 'detached' });
    expect(dialogs).toHaveLength(2);
    expect(broker.steward.ledger.get(order.reservationId)?.state).toBe('voided');
    expect(broker.steward.audit.query({ types: ['order.settled'] }).entries.map((e) => e.event.data)).toEqual([
      { orderId: order.orderId, reservationId: order.reservationId, outcome: 'not_taken', by: 'person', amountMinor: 1890, currency: 'USD' },
    ]);
    expect(verifyLog(broker.steward.store).ok).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('"taken" keeps the money counted without asking, and the card reads at 390 px with no sideways scrolling', async () => {
    const order = unknownOrder('eggs', 659);
    const context = await newContext(browser, 390, 844);
    const page = await context.newPage();
    const problems = watchProblems(page);
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(broker.url);
    await page.getByLabel('API token').fill(broker.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    await page.getByRole('link', { name: 'Vendors' }).click();
    const card = page.getByRole('article', { name: 'Order at coop.example with an unknown outcome' });
    await card.waitFor();
    expect(await card.textContent()).toContain('its $6.59 counts against your budget until you tell us');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);

    await card.getByRole('button', { name: /took order/ }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Noted:' }).textContent()).toBe(
      'Noted: coop.example took the order; its $6.59 stays counted against your budgets.',
    );
    await card.waitFor({ state: 'detached' });
    expect(dialogs).toEqual([]);
    expect(broker.steward.ledger.get(order.reservationId)?.state).toBe('committed');
    const grocery = page.locator('ul.budgets li').filter({ hasText: 'your monthly grocery budget' });
    await expect.poll(() => grocery.textContent()).toContain('$6.59 of $600.00');
    expect(problems).toEqual([]);
    await context.close();
  });
});
