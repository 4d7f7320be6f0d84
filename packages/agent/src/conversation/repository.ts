import { z } from 'zod';
import { Id, TaskSpec, type Clock } from '@steward/protocol';
import type { Store } from '@steward/store';
import type { AgentEvent, AgentMode } from '../events.ts';
import { ModelPending } from '../model/run.ts';
import { PartialTask } from '../rules/parse-task.ts';

/** What a conversation waits for between turns. */
export const PendingState = z.union([
  z.strictObject({ kind: z.literal('clarify'), partial: PartialTask }),
  z.strictObject({ kind: z.literal('approval'), mode: z.enum(['offline-rules', 'model']), taskId: Id, offerId: Id, approvalId: Id.optional() }),
  ModelPending,
]);
export type PendingState = z.infer<typeof PendingState>;

/** One stored message of a conversation. */
export interface ConversationMessage {
  seq: number;
  role: 'person' | 'agent';
  kind: 'text' | AgentEvent['type'];
  mode: AgentMode | null;
  text: string;
  event: AgentEvent | null;
  createdAt: string;
}

/** Reads and writes conversations in the agent's tables. */
export class ConversationRepository {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  /** Creates the conversation when new; returns its pending state (undefined when none or unreadable). */
  open(conversationId: string): { pending: PendingState | undefined; corrupt: boolean } {
    const now = this.#now();
    this.#store.db
      .prepare('INSERT INTO agent_conversations (id, created_at, updated_at, pending_json) VALUES (?, ?, ?, NULL) ON CONFLICT(id) DO NOTHING')
      .run(conversationId, now, now);
    const row = this.#store.db.prepare('SELECT pending_json FROM agent_conversations WHERE id = ?').get(conversationId) as
      | { pending_json: string | null }
      | undefined;
    if (!row?.pending_json) return { pending: undefined, corrupt: false };
    try {
      const parsed = PendingState.safeParse(JSON.parse(row.pending_json));
      return parsed.success ? { pending: parsed.data, corrupt: false } : { pending: undefined, corrupt: true };
    } catch {
      return { pending: undefined, corrupt: true };
    }
  }

  /** Replaces the pending state (undefined clears it). */
  setPending(conversationId: string, pending: PendingState | undefined): void {
    this.#store.db
      .prepare('UPDATE agent_conversations SET pending_json = ?, updated_at = ? WHERE id = ?')
      .run(pending === undefined ? null : JSON.stringify(pending), this.#now(), conversationId);
  }

  /** Appends what the person said. */
  addPersonText(conversationId: string, text: string): void {
    this.#append(conversationId, 'person', 'text', null, text, null);
  }

  /** Appends one event of the agent's reply. */
  addEvent(conversationId: string, event: AgentEvent): void {
    const text = event.type === 'done' ? event.outcome : event.text;
    this.#append(conversationId, 'agent', event.type, event.mode, text, JSON.stringify(event));
  }

  #append(conversationId: string, role: 'person' | 'agent', kind: string, mode: AgentMode | null, text: string, eventJson: string | null): void {
    this.#store.transaction(() => {
      const { next } = this.#store.db
        .prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM agent_messages WHERE conversation_id = ?')
        .get(conversationId) as { next: number };
      this.#store.db
        .prepare('INSERT INTO agent_messages (conversation_id, seq, role, kind, mode, text, event_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(conversationId, next, role, kind, mode, text, eventJson, this.#now());
    });
  }

  /** Records a task opened with the broker. */
  addTask(conversationId: string, taskId: string, mode: AgentMode, task: TaskSpec): void {
    const now = this.#now();
    this.#store.db
      .prepare(
        'INSERT INTO agent_tasks (task_id, conversation_id, mode, spec_json, outcome, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?) ON CONFLICT(task_id) DO NOTHING',
      )
      .run(taskId, conversationId, mode, JSON.stringify(task), now, now);
  }

  /** Records how a task ended (ordered, denied, …). */
  setTaskOutcome(taskId: string, outcome: string): void {
    this.#store.db.prepare('UPDATE agent_tasks SET outcome = ?, updated_at = ? WHERE task_id = ?').run(outcome, this.#now(), taskId);
  }

  /** The newest conversations first, each titled by the person's first words in it. */
  list(limit = 50): { conversationId: string; title: string; updatedAt: string }[] {
    const rows = this.#store.db
      .prepare(
        `SELECT c.id, c.updated_at,
                (SELECT m.text FROM agent_messages m WHERE m.conversation_id = c.id AND m.role = 'person' ORDER BY m.seq LIMIT 1) AS title
         FROM agent_conversations c ORDER BY c.updated_at DESC LIMIT ?`,
      )
      .all(Math.max(1, Math.min(limit, 500))) as { id: string; updated_at: string; title: string | null }[];
    return rows.map((r) => ({ conversationId: r.id, title: (r.title ?? '(no message)').slice(0, 80), updatedAt: r.updated_at }));
  }

  /** The conversation's messages, oldest first. */
  messages(conversationId: string): ConversationMessage[] {
    const rows = this.#store.db
      .prepare('SELECT seq, role, kind, mode, text, event_json, created_at FROM agent_messages WHERE conversation_id = ? ORDER BY seq')
      .all(conversationId) as { seq: number; role: 'person' | 'agent'; kind: ConversationMessage['kind']; mode: AgentMode | null; text: string; event_json: string | null; created_at: string }[];
    return rows.map((r) => ({
      seq: r.seq,
      role: r.role,
      kind: r.kind,
      mode: r.mode,
      text: r.text,
      event: r.event_json ? (JSON.parse(r.event_json) as AgentEvent) : null,
      createdAt: r.created_at,
    }));
  }

  /** Tasks opened in the conversation, oldest first. */
  tasks(conversationId: string): { taskId: string; mode: AgentMode; task: TaskSpec; outcome: string | null }[] {
    const rows = this.#store.db
      .prepare('SELECT task_id, mode, spec_json, outcome FROM agent_tasks WHERE conversation_id = ? ORDER BY created_at, rowid')
      .all(conversationId) as { task_id: string; mode: AgentMode; spec_json: string; outcome: string | null }[];
    return rows.map((r) => ({ taskId: r.task_id, mode: r.mode, task: TaskSpec.parse(JSON.parse(r.spec_json)), outcome: r.outcome }));
  }
}
