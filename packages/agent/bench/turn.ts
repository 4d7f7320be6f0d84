/**
 * Agent costs: the offline parser per request, a whole offline-rules turn (parse, six broker calls,
 * every event persisted to SQLite), and a model-mode turn through ChatOpenAI over loopback HTTP to the
 * scripted server (plan + 2 negotiation calls). Baseline: strict TaskSpec validation of one task.
 * Goals: parse median < 1 ms; offline turn median < 10 ms; model-turn overhead well under a real
 * model's latency (hundreds of ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixedClock, TaskSpec } from '@steward/protocol';
import { openStore } from '@steward/store';
import { measure, measureAsync, note, report } from '../../../test/bench/kit.ts';
import { MIGRATIONS, createAgent, parseRequest } from '../src/index.ts';
import { FakeBroker, groceryOffer } from '../test/support/fake-broker.ts';
import { startScriptedLlm } from '../test/support/scripted-llm.ts';

const NOW = Date.parse('2026-11-26T15:00:00Z');
const ctx = { now: NOW, timeZone: 'America/New_York' };
const phrasings = [
  'buy groceries for this week under $80: milk, eggs, 2 loaves of bread, bananas',
  'book a table for 4 at 7pm tomorrow near downtown',
  'flights from Boston to Denver Dec 12-15 under $600',
  'resturant for 2 tommorow at 8 in soho',
];
const first = parseRequest(phrasings[0]!, ctx);
if (first.kind !== 'task') throw new Error('bench phrasing did not parse');
const task = first.task;

const baseline = measure('TaskSpec.parse (baseline)', () => TaskSpec.parse(task), 20_000);
let i = 0;
const parse = measure('parseRequest, 4 phrasings round-robin', () => parseRequest(phrasings[i++ % phrasings.length]!, ctx), 20_000);

const dir = mkdtempSync(join(tmpdir(), 'steward-agent-bench-'));
const store = openStore(join(dir, 'bench.db'), { migrations: { agent: MIGRATIONS } });
const offers = [groceryOffer('o-a', 'FreshCo', 6450), groceryOffer('o-b', 'QuickMart', 5900, { day: '2026-12-02' }), groceryOffer('o-c', 'Luxe', 7900)];
const clock = new FixedClock(NOW);
const offline = createAgent({ mode: 'offline-rules', tools: new FakeBroker({ offers }), store, clock, timeZone: 'America/New_York' });
let n = 0;
const drain = async (it: AsyncIterable<unknown>): Promise<void> => {
  for await (const _ of it) {
    /* consume */
  }
};
const offlineTurn = await measureAsync('offline turn: parse + 6 broker calls + SQLite', () => drain(offline.handle(`c-${n++}`, phrasings[0]!)), 1_000, 100);

const llm = await startScriptedLlm();
const modelAgent = createAgent({
  mode: 'model',
  tools: new FakeBroker({ offers }),
  store,
  clock,
  timeZone: 'America/New_York',
  llm: { baseUrl: llm.baseUrl, model: 'scripted-model' },
});
const modelTurn = await measureAsync(
  'model turn: 3 ChatOpenAI calls over loopback HTTP',
  async () => {
    llm.push(
      { call: [{ name: 'plan_task', args: task }] },
      { call: [{ name: 'find_vendors', args: {} }, { name: 'request_quotes', args: {} }] },
      { say: 'FreshCo is cheapest.' },
    );
    await drain(modelAgent.handle(`m-${n++}`, phrasings[0]!));
  },
  200,
  20,
);
await llm.close();
store.close();
rmSync(dir, { recursive: true, force: true });

report('agent', baseline, [parse, offlineTurn, modelTurn]);
note(`parse median ${parse.medianUs.toFixed(0)} µs (goal < 1000 µs): ${parse.medianUs < 1000 ? 'met' : 'NOT met'}`);
note(`offline turn median ${(offlineTurn.medianUs / 1000).toFixed(2)} ms (goal < 10 ms): ${offlineTurn.medianUs < 10_000 ? 'met' : 'NOT met'}`);
note(`model turn median ${(modelTurn.medianUs / 1000).toFixed(1)} ms for 3 model calls, i.e. the agent's own overhead per turn without a model`);
