import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '@steward/broker-server';
import { bundleWebApp, webAppFeature, type WebBundle } from '@steward/web';
import { openContractApi, type ContractApi } from './contract-api.ts';
import { launchChromium, newContext, screenshot, watchProblems } from './browser.ts';

const TOKEN = 'web-test-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
let bundle: WebBundle;
let browser: Browser;

async function serve(apiFeatures: ContractApi['features']): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApp({
    config: { corsOrigins: [], bodyLimit: 1_000_000 },
    token: TOKEN,
    apiFeatures,
    publicFeatures: [webAppFeature({ bundle })],
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Pages' }).waitFor();
}

async function noHorizontalScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow).toBeLessThanOrEqual(0);
}

beforeAll(async () => {
  bundle = await bundleWebApp();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('the web app against the API contract (real audit log and policy engine)', { timeout: 90_000 }, () => {
  let api: ContractApi;
  let server: { app: FastifyInstance; url: string };
  beforeAll(async () => {
    api = openContractApi();
    server = await serve(api.features);
  });
  afterAll(async () => {
    await server.app.close();
    api.close();
  });

  it('signs in, delegates a grocery task, shows offers and the affiliate flag, approves, finds the order in a verified log, edits and rolls back a policy', async () => {
    const context = await newContext(browser, 1280);
    const page = await context.newPage();
    const problems = watchProblems(page);
    page.on('dialog', (dialog) => void dialog.accept());

    // sign-in: a wrong token is refused, the right one lets in; the token is kept per tab only
    await page.goto(server.url);
    await screenshot(page, 'signin-wide');
    await page.getByLabel('API token').fill('wrong-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('token is not right');
    await signIn(page, server.url);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('steward.token')")).toBe(TOKEN);
    expect(await page.evaluate<string | null>("localStorage.getItem('steward.token')")).toBeNull();

    // provenance and mode, always visible
    const provenance = page.getByLabel("Your agent's provenance");
    await expect.poll(() => provenance.textContent()).toContain('made by Open Agents Cooperative');
    expect(await provenance.textContent()).toContain('Offline rules mode: no language model is answering');
    expect(await provenance.textContent()).toContain('paid partner Fresh Basket Ltd');

    // chat: delegate, see offers with badges, the sponsored label and the affiliate flag
    await page.getByLabel('Message to your agent').fill('groceries for the week under $80, delivered Saturday');
    await page.getByRole('button', { name: 'Send' }).click();
    const fresh = page.getByRole('article', { name: 'Offer from Fresh Basket' });
    await fresh.waitFor();
    expect(await fresh.textContent()).toContain('Sponsored (paid placement)');
    expect(await fresh.textContent()).toContain('affiliated counterparty');
    expect(await fresh.textContent()).toContain('Verified (registry)');
    // vendor text is shown as text, labelled, never as HTML
    const words = fresh.locator('.vendor-words');
    expect(await words.textContent()).toContain("Vendor's words");
    expect(await words.textContent()).toContain('<img src=x onerror=alert(1)>');
    expect(await words.locator('img').count()).toBe(0);
    const card = page.getByRole('article', { name: /Your approval is needed: order from Green Grocer/ }).first();
    await card.waitFor();
    const cardText = (await card.textContent()) ?? '';
    expect(cardText).toContain('$22.89');
    expect(cardText).toContain('name, address');
    expect(cardText).toContain('your rule for unverified vendors');
    await screenshot(page, 'chat-wide');
    await card.getByRole('button', { name: /^Approve/ }).click();
    await expect.poll(() => card.getByRole('status').textContent()).toContain('ordered');

    // audit: the order is in the log, and this browser verified the log (first visit)
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect.poll(() => page.getByTestId('consistency').textContent()).toMatch(/First visit|Unchanged since|Verified: the log grew/);
    await page.getByRole('cell', { name: /order signed: Green Grocer/ }).waitFor();
    // filter by type
    await page.getByLabel('Type').selectOption('order.signed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('table.log tbody tr').count()).toBe(1);
    await page.getByRole('button', { name: /^Open entry/ }).click();
    await expect.poll(() => page.getByRole('region', { name: /Entry \d+/ }).textContent()).toContain('you approved this exact cart');
    await screenshot(page, 'audit-wide');

    // the log grows; next visit the browser demands and checks a consistency proof
    await api.append('checkpoint marker');
    await page.reload();
    await expect.poll(() => page.getByTestId('consistency').textContent()).toMatch(/Verified: the log grew from \d+ to \d+ entries/);

    // policies: a broken policy shows an inline error at its line and cannot be applied
    await page.getByRole('link', { name: 'Policies' }).click();
    const editor = page.getByLabel('Policy (YAML)');
    await editor.waitFor();
    const original = await editor.inputValue();
    await editor.fill(original.replace('limit: 600.00 USD', 'limit: lots of money'));
    await expect.poll(() => page.getByTestId('validation').textContent()).toContain('problem');
    const issue = page.getByRole('alert', { name: 'Problems in the policy' });
    expect(await issue.textContent()).toMatch(/Line \d+, column \d+/);
    expect(await page.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
    await screenshot(page, 'policies-error-wide');
    // fix it with the quick settings form: a stricter grocery budget
    await editor.fill(original);
    await expect.poll(() => page.getByTestId('validation').textContent()).toContain('valid');
    await page.getByLabel(/ask above 50|ask-above-50/).count(); // forms render
    await page.getByLabel(/^groceries-month/).fill('300.00 USD');
    await page.getByLabel(/^groceries-month/).press('Tab');
    await expect.poll(() => editor.inputValue()).toContain('limit: 300.00 USD');
    await expect.poll(() => page.getByTestId('validation').textContent()).toBe('The policy is valid.');
    await page.getByRole('button', { name: "Run the policy's tests" }).click();
    await page.getByRole('heading', { name: /Tests: \d+ passed/ }).waitFor();
    await page.getByRole('button', { name: 'Dry run against recent decisions' }).click();
    const diff = page.getByLabel('Changes to the policy text');
    await diff.waitFor();
    expect(await diff.textContent()).toContain('added: ');
    expect(await diff.textContent()).toContain('300.00 USD');
    await page.getByLabel('What changed and why (kept in the history)').fill('groceries budget down to $300');
    await screenshot(page, 'policies-wide');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Applied as version' }).count()).toBe(1);
    await expect.poll(() => page.getByRole('row', { name: /groceries budget down to \$300/ }).textContent()).toContain('active');
    // roll back to the first version
    await page.getByRole('button', { name: 'Roll back to version 1' }).click();
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'rolled back to 1' }).textContent()).toContain('active');
    await expect.poll(() => editor.inputValue()).toContain('limit: 600.00 USD');

    // vendors, graph and spending; my data
    await page.getByRole('link', { name: 'Vendors' }).click();
    await page.getByRole('button', { name: 'Ownership of Fresh Basket' }).click();
    await page.getByRole('img', { name: 'Ownership around https://fresh-basket.example' }).waitFor();
    const vendorGraph = page.getByRole('region', { name: 'Who owns https://fresh-basket.example' });
    expect(await vendorGraph.getByRole('table').textContent()).toContain('Companies register filing 2025');
    await page.getByRole('img', { name: /Spending per day/ }).waitFor();
    await screenshot(page, 'vendors-wide');
    await page.getByRole('link', { name: 'My data' }).click();
    await page.getByRole('cell', { name: 'https://green-grocer.example' }).or(page.getByRole('heading', { name: 'https://green-grocer.example' })).first().waitFor();
    expect(await page.locator('main').textContent()).not.toContain('emma@example.org');
    await screenshot(page, 'my-data-wide');

    // sign out forgets the token
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('steward.token')")).toBeNull();

    expect(problems).toEqual([]);
    await context.close();
  });

  it('is readable at 390 px wide on every page, with no sideways scrolling', async () => {
    const context = await newContext(browser, 390, 844);
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(server.url);
    await screenshot(page, 'signin-narrow');
    await signIn(page, server.url);
    await page.getByLabel('Message to your agent').fill('groceries for the week under $80');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('article', { name: 'Offer from Fresh Basket' }).waitFor();
    await noHorizontalScroll(page);
    await screenshot(page, 'chat-narrow');
    for (const [link, name, ready] of [
      ['Audit log', 'audit-narrow', 'consistency'],
      ['Policies', 'policies-narrow', 'validation'],
      ['Vendors', 'vendors-narrow', null],
      ['My data', 'my-data-narrow', null],
    ] as const) {
      await page.getByRole('link', { name: link }).click();
      if (ready) await page.getByTestId(ready).waitFor();
      await page.getByRole('heading', { level: 1 }).waitFor();
      await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
      await noHorizontalScroll(page);
      await screenshot(page, name);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('works with the keyboard: skip link first, nav links reachable, visible focus', async () => {
    const context = await newContext(browser, 1280);
    const page = await context.newPage();
    await signIn(page, server.url);
    await page.reload();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.textContent')).toBe('Chat');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    // focus moved to the new page's content; Tab continues inside it
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('main');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).not.toBe('none');
    await context.close();
  });

  it('raises an alarm when the log was rewritten since this browser last saw it', async () => {
    const context = await newContext(browser, 1280);
    const page = await context.newPage();
    await signIn(page, server.url);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('consistency').waitFor();
    await api.rewriteHistory();
    await page.reload();
    const alarm = page.getByRole('alert').filter({ hasText: 'Alarm' });
    await alarm.waitFor();
    expect(await alarm.textContent()).toContain('failed this browser');
    await screenshot(page, 'audit-alarm-wide');
    // the alarm is remembered: a reload does not make it go away, and every page shows it
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'Alarm' }).waitFor();
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByRole('alert').filter({ hasText: 'Alarm: the audit log failed' }).getByRole('link', { name: 'See the audit log' }).waitFor();
    await context.close();
  });
});

describe('the web app on a build without the planned routes', { timeout: 60_000 }, () => {
  let server: { app: FastifyInstance; url: string };
  beforeAll(async () => {
    server = await serve([]);
  });
  afterAll(async () => {
    await server.app.close();
  });

  it('shows a calm "not available in this build" state on every page instead of breaking', async () => {
    const context = await newContext(browser, 1280);
    const page = await context.newPage();
    const problems = watchProblems(page);
    await signIn(page, server.url);
    await page.getByText("Your agent's provenance (/api/status) is not available in this build").waitFor();
    await page.getByLabel('Message to your agent').fill('groceries');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('Chat (POST /api/chat) is not available in this build').waitFor();
    for (const [link, text] of [
      ['Audit log', 'The audit log is not available'],
      ['Policies', 'The policy editor (/api/policies) is not available'],
      ['Vendors', 'The vendor list is not available'],
      ['My data', 'Your profile is not available'],
    ] as const) {
      await page.getByRole('link', { name: link }).click();
      await page.getByText(text).waitFor();
    }
    expect(problems).toEqual([]);
    await context.close();
  });
});
