/**
 * `steward chat` against a broker whose agent runs in model mode: the scripted OpenAI-compatible
 * server of `@steward/agent/testing` on 127.0.0.1 stands in for a local model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startScriptedLlm, type ScriptedLlm } from '@steward/agent/testing';
import { startBroker, type RunningBroker } from '@steward/broker-server';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { runCli } from '../src/index.ts';

let llm: ScriptedLlm;
let broker: RunningBroker;
let dir: string;

beforeAll(async () => {
  llm = await startScriptedLlm({ models: ['scripted-model'] });
  dir = mkdtempSync(join(tmpdir(), 'steward-cli-chat-model-'));
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0', STEWARD_LLM_BASE_URL: llm.baseUrl, STEWARD_LLM_MODEL: 'scripted-model' }, quiet, { demo: false, web: false });
}, 60_000);

afterAll(async () => {
  await broker?.close();
  await llm?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  try {
    const code = await runCli(['chat', ...args], { dataDir: dir, dbPath: join(dir, 'steward.db'), homeDir: join(dir, 'home'), brokerUrl: broker.url });
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}

it('says plainly that a language model answers, and carries the conversation across --once calls', async () => {
  llm.push(
    { say: 'What should I buy, and for how much at most?' },
    {
      call: [
        {
          name: 'plan_task',
          args: { category: 'general', summary: 'a phone charger', items: [{ description: 'USB-C phone charger', quantity: 1 }], budget: { amountMinor: 2500, currency: 'USD' }, constraints: {} },
        },
      ],
    },
    { call: [{ name: 'find_vendors', args: {} }] },
    { say: 'No vendor sells that here, so nothing was ordered.' },
  );
  const first = await run('--once', 'I need something');
  expect(first.err).toBe('');
  expect(first.code).toBe(0);
  expect(first.out.split('\n')[0]).toBe('Answering: a language model (scripted-model). It proposes; the broker checks every action against your policy.');
  expect(first.out).toContain('? What should I buy, and for how much at most?');
  const conversationId = /conversation: (conv_[A-Za-z0-9_-]+)/.exec(first.out)![1]!;

  const second = await run('--conversation', conversationId, '--once', 'a USB-C phone charger under $25');
  expect(second.code).toBe(0);
  expect(second.out).toMatch(/ {2}· Task: a phone charger\n/);
  expect(second.out).toMatch(/ {2}· Found 0 vendors\.\n/);
  expect(second.out).toContain('No vendor sells that here, so nothing was ordered.');
  expect(llm.remaining()).toBe(0);
  // the planner's second call continued the same conversation: it saw the first question and answer
  const planner = llm.chatRequests()[1]!.body!.messages!.map((m) => m.content);
  expect(planner).toEqual(expect.arrayContaining(['I need something', 'What should I buy, and for how much at most?', 'a USB-C phone charger under $25']));
}, 60_000);
