import type { Migration } from '@steward/store';

/**
 * The agent's tables: conversations (with the pending state of the current turn), their messages,
 * and the tasks opened with the broker.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create-agent-conversations',
    up: `
      CREATE TABLE agent_conversations (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        pending_json TEXT
      ) STRICT;
      CREATE TABLE agent_messages (
        conversation_id TEXT NOT NULL REFERENCES agent_conversations(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('person', 'agent')),
        kind TEXT NOT NULL CHECK (kind IN ('text', 'progress', 'message', 'question', 'done')),
        mode TEXT CHECK (mode IN ('offline-rules', 'model')),
        text TEXT NOT NULL,
        event_json TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (conversation_id, seq)
      ) STRICT;
      CREATE TABLE agent_tasks (
        task_id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES agent_conversations(id) ON DELETE CASCADE,
        mode TEXT NOT NULL CHECK (mode IN ('offline-rules', 'model')),
        spec_json TEXT NOT NULL,
        outcome TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX agent_tasks_by_conversation ON agent_tasks(conversation_id);
    `,
  },
];
