import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixedClock } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import { MIGRATIONS, type AgentEvent, type AgentViolation } from '../../src/index.ts';

/** Thursday 2026-11-26, 10:00 in New York. */
export const NOW = Date.parse('2026-11-26T15:00:00Z');
export const ZONE = 'America/New_York';

export interface Harness {
  dir: string;
  path: string;
  store: Store;
  clock: FixedClock;
  violations: AgentViolation[];
  reopen(): Store;
  cleanup(): void;
}

/** A real SQLite file in a temp dir, migrated with the agent's tables. */
export function harness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'steward-agent-'));
  const path = join(dir, 'steward.db');
  const h: Harness = {
    dir,
    path,
    store: openStore(path, { migrations: { agent: MIGRATIONS } }),
    clock: new FixedClock(NOW),
    violations: [],
    reopen() {
      h.store.close();
      h.store = openStore(path, { migrations: { agent: MIGRATIONS } });
      return h.store;
    },
    cleanup() {
      h.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Collects a streamed reply. */
export async function collect(events: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const out: AgentEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** The `done` event of a reply. */
export function doneOf(events: AgentEvent[]): Extract<AgentEvent, { type: 'done' }> {
  const last = events.at(-1);
  if (last?.type !== 'done') throw new Error(`reply did not end with done: ${JSON.stringify(last)}`);
  return last;
}

/** Every text of a reply, joined, for assertions on what the person was told. */
export function textOf(events: AgentEvent[]): string {
  return events.map((e) => ('text' in e ? e.text : '')).join('\n');
}
