import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, stream } from '../lib/api.ts';
import { formatMoney, formatTime, parseAmount } from '../lib/format.ts';
import type { Approval, OfferView } from '../lib/types.ts';
import { onLive } from '../live.ts';
import { ApprovalCard, ErrorNote, Loaded, OfferCard, Unavailable, useApi } from '../components.tsx';

/** One entry of the chat transcript. */
type Entry =
  | { kind: 'person'; text: string }
  | { kind: 'agent'; text: string; mode?: string }
  | { kind: 'question'; text: string }
  | { kind: 'progress'; text: string; stage?: string }
  | { kind: 'offers'; offers: OfferView[]; taskId?: string }
  | { kind: 'approval'; approval: Approval }
  | { kind: 'done'; text: string }
  | { kind: 'error'; text: string; code?: string };

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

const OUTCOMES: Record<string, string> = {
  asked: 'Your agent needs an answer from you.',
  help: 'Done.',
  answered: 'Done.',
  ordered: 'Ordered.',
  needs_approval: 'Your approval is needed before anything is ordered.',
  denied: 'Your policy refused this order.',
  failed: 'The order failed; nothing was charged.',
  no_offers: 'No vendor made a suitable offer.',
  cancelled: 'Cancelled.',
  stopped: 'Your agent stopped.',
};

function outcomeWords(outcome: string | undefined, orderId: string | undefined): string {
  const words = (outcome && OUTCOMES[outcome]) ?? 'Done.';
  return orderId ? `${words} Order ${orderId}.` : words;
}

/** Turns one agent event of `POST /api/chat` into transcript entries. */
function toEntry(e: Record<string, unknown>): Entry | undefined {
  const text = str(e.text) ?? str(e.message) ?? str(e.summary) ?? '';
  switch (e.type) {
    case 'progress': {
      const stage = str(e.stage) ?? str(e.step);
      return { kind: 'progress', text, ...(stage ? { stage } : {}) };
    }
    case 'message':
      return { kind: 'agent', text, ...(str(e.mode) ? { mode: str(e.mode)! } : {}) };
    case 'question':
      return { kind: 'question', text };
    case 'offers':
      return Array.isArray(e.offers) ? { kind: 'offers', offers: e.offers as OfferView[], ...(str(e.taskId) ? { taskId: str(e.taskId)! } : {}) } : undefined;
    case 'approval':
      return e.approval && typeof e.approval === 'object' ? { kind: 'approval', approval: e.approval as Approval } : undefined;
    case 'done':
      return { kind: 'done', text: text || outcomeWords(str(e.outcome), str(e.orderId)) };
    case 'error':
      return { kind: 'error', text: text || 'The agent stopped with an error.', ...(str(e.code) ? { code: str(e.code)! } : {}) };
    default:
      return undefined;
  }
}

function Counter(props: { offer: OfferView; taskId: string; onDone: (offer: OfferView | null, note: string) => void; onCancel: () => void }) {
  const [ask, setAsk] = useState('');
  const [error, setError] = useState<unknown>(null);
  const currency = props.offer.total.currency;
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const amountMinor = parseAmount(ask, currency);
    if (amountMinor === undefined) {
      setError(new Error(`type an amount like 42.50 (${currency})`));
      return;
    }
    try {
      const result = await api<OfferView | { refused: unknown }>('POST', `/api/tasks/${encodeURIComponent(props.taskId)}/counter`, { offerId: props.offer.offerId, askTotal: { amountMinor, currency } });
      if ('refused' in result) props.onDone(null, `${props.offer.vendor.displayName} refused the counter-offer.`);
      else props.onDone(result, `${props.offer.vendor.displayName} answered the counter-offer.`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="counter" onSubmit={(e) => void submit(e)}>
      <label for="ask">Ask {props.offer.vendor.displayName} for an all-in total of ({currency}; now {formatMoney(props.offer.total)})</label>
      <input id="ask" inputMode="decimal" value={ask} onInput={(e) => setAsk(e.currentTarget.value)} />
      <button type="submit" class="primary">Send counter-offer</button>
      <button type="button" class="secondary" onClick={props.onCancel}>Cancel</button>
      {error !== null && <ErrorNote error={error} />}
    </form>
  );
}

/** Pending approvals, refreshed when a live `approval` event arrives. */
function PendingApprovals(props: { shownInChat: ReadonlySet<string> }) {
  const [load, reload] = useApi<{ approvals: Approval[] }>('/api/approvals');
  useEffect(() => onLive((e) => (e.type === 'approval' ? reload() : undefined)), [reload]);
  return (
    <section aria-labelledby="pending-h">
      <h2 id="pending-h">Waiting for you</h2>
      <Loaded load={load} what="Approvals">
        {(data) => {
          const waiting = data.approvals.filter((a) => !props.shownInChat.has(a.approvalId));
          return waiting.length === 0 ? (
            <p class="muted">{data.approvals.length === 0 ? 'No approvals are waiting.' : 'Nothing else is waiting: the approval for this task is in the conversation.'}</p>
          ) : (
            <div class="stack">
              {waiting.map((a) => (
                <ApprovalCard key={a.approvalId} approval={a} onAnswered={reload} />
              ))}
            </div>
          );
        }}
      </Loaded>
    </section>
  );
}

/** The conversation survives moving between pages (kept in memory for this tab). */
const kept: { entries: Entry[]; conversationId?: string; mode?: string } = { entries: [] };

interface StoredMessage {
  role: 'person' | 'agent';
  text: string;
  at?: string;
}

function EarlierConversations(props: { onOpen: (id: string, messages: StoredMessage[]) => void }) {
  const [load] = useApi<{ conversations: { conversationId: string; title: string; updatedAt: string }[] }>('/api/conversations');
  const [error, setError] = useState<unknown>(null);
  if (load.state !== 'ok' || load.data.conversations.length === 0) return null;
  return (
    <section aria-labelledby="conv-h">
      <h2 id="conv-h">Earlier conversations</h2>
      <ul class="plain">
        {load.data.conversations.map((c) => (
          <li key={c.conversationId}>
            <button
              type="button"
              class="link"
              onClick={() => {
                api<{ messages: StoredMessage[] }>('GET', `/api/conversations/${encodeURIComponent(c.conversationId)}`).then((r) => props.onOpen(c.conversationId, r.messages), setError);
              }}
            >
              {c.title}
            </button>{' '}
            <span class="muted small">{formatTime(c.updatedAt)}</span>
          </li>
        ))}
      </ul>
      {error !== null && <ErrorNote error={error} />}
    </section>
  );
}

/** Delegating tasks in words, with the negotiation shown live. */
export function ChatPage() {
  const [entries, setEntriesState] = useState<Entry[]>(kept.entries);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [conversationId, setConversationIdState] = useState<string | undefined>(kept.conversationId);
  const [mode, setModeState] = useState<string | undefined>(kept.mode);
  const setEntries = (f: (list: Entry[]) => Entry[]): void =>
    setEntriesState((list) => {
      kept.entries = f(list);
      return kept.entries;
    });
  const setConversationId = (id: string | undefined): void => {
    kept.conversationId = id;
    setConversationIdState(id);
  };
  const setMode = (m: string | undefined): void => {
    kept.mode = m;
    setModeState(m);
  };
  const [unavailable, setUnavailable] = useState(false);
  const [countering, setCountering] = useState<{ offer: OfferView; taskId: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const end = useRef<HTMLDivElement>(null);
  const add = (entry: Entry): void => setEntries((list) => [...list, entry]);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  }, [entries.length]);
  const send = async (e: Event): Promise<void> => {
    e.preventDefault();
    const t = text.trim();
    if (!t || busy) return;
    setBusy(true);
    setError(null);
    add({ kind: 'person', text: t });
    setText('');
    // the broker's own progress (vendors contacted, quotes, flags) arrives on the live stream
    const tasks = new Set<string>();
    const offLive = onLive((ev) => {
      if (ev.type !== 'progress' || !ev.data || typeof ev.data !== 'object') return;
      const d = ev.data as { taskId?: unknown; stage?: unknown; message?: unknown };
      if (typeof d.taskId !== 'string' || typeof d.message !== 'string') return;
      if (tasks.size > 0 && !tasks.has(d.taskId)) return;
      tasks.add(d.taskId);
      add({ kind: 'progress', text: d.message, ...(typeof d.stage === 'string' ? { stage: d.stage } : {}) });
    });
    const finished: Record<string, unknown>[] = [];
    try {
      await stream('POST', '/api/chat', conversationId ? { conversationId, text: t } : { text: t }, (ev) => {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(ev.data) as Record<string, unknown>;
        } catch {
          return;
        }
        if (typeof body.conversationId === 'string') setConversationId(body.conversationId);
        if (typeof body.mode === 'string') setMode(body.mode);
        if (typeof body.taskId === 'string') tasks.add(body.taskId);
        // the agent's summary of a task comes after the offers and the approval it refers to
        if (body.type === 'done' && (typeof body.taskId === 'string' || typeof body.approvalId === 'string')) {
          finished.push(body);
          return;
        }
        const entry = toEntry(body);
        if (entry) add(entry);
      });
      offLive();
      for (const done of finished) {
        const taskId = str(done.taskId);
        const approvalId = str(done.approvalId);
        if (taskId) {
          const task = await api<{ offers?: OfferView[] }>('GET', `/api/tasks/${encodeURIComponent(taskId)}`).catch(() => undefined);
          if (task?.offers && task.offers.length > 0) add({ kind: 'offers', offers: task.offers, taskId });
        }
        if (approvalId) {
          const approval = await api<Approval>('GET', `/api/approvals/${encodeURIComponent(approvalId)}`).catch(() => undefined);
          if (approval) add({ kind: 'approval', approval });
        }
        const entry = toEntry(done);
        if (entry) add(entry);
      }
    } catch (err) {
      if (err instanceof ApiError && err.notAvailable) setUnavailable(true);
      else setError(err);
    } finally {
      offLive();
      setBusy(false);
    }
  };
  return (
    <div class="chat-layout">
      <section aria-labelledby="chat-h" class="chat">
        <h1 id="chat-h">Chat with your agent</h1>
        {mode && (
          <p class="small">
            {mode === 'offline-rules' ? 'Answered by the offline rules mode (no language model).' : 'Answered by a language model.'}
          </p>
        )}
        <div class="transcript" role="log" aria-live="polite" aria-label="Conversation">
          {entries.length === 0 && <p class="muted">Tell your agent what you need, e.g. "groceries for the week under $80, delivered Saturday". It will ask vendors for signed quotes and come back to you before anything needs your approval.</p>}
          {entries.map((en, i) => {
            switch (en.kind) {
              case 'person':
                return <p key={i} class="msg msg-person"><span class="sr-only">You: </span>{en.text}</p>;
              case 'agent':
                return <p key={i} class="msg msg-agent"><span class="sr-only">Agent: </span>{en.text}</p>;
              case 'question':
                return <p key={i} class="msg msg-agent msg-question"><span class="sr-only">Agent asks: </span>{en.text}</p>;
              case 'progress':
                return <p key={i} class="progress-line small">{en.stage ? `${en.stage.replace(/_/g, ' ')}: ` : ''}{en.text}</p>;
              case 'offers':
                return (
                  <div key={i} class="offers">
                    <p class="small muted">{en.offers.length} signed offer{en.offers.length === 1 ? '' : 's'}, in random order (the broker never ranks by vendor prose):</p>
                    <div class="grid">
                      {en.offers.map((o) => (
                        <OfferCard key={o.offerId} offer={o} {...(en.taskId ? { onCounter: (offer: OfferView) => setCountering({ offer, taskId: en.taskId! }) } : {})} />
                      ))}
                    </div>
                  </div>
                );
              case 'approval':
                return <ApprovalCard key={i} approval={en.approval} />;
              case 'done':
                return <p key={i} class="msg msg-done">{en.text}</p>;
              case 'error':
                return <p key={i} class="error" role="alert">{en.text} {en.code && <code>{en.code}</code>}</p>;
            }
          })}
          <div ref={end} />
        </div>
        {countering && (
          <Counter
            offer={countering.offer}
            taskId={countering.taskId}
            onCancel={() => setCountering(null)}
            onDone={(offer, note) => {
              setCountering(null);
              add({ kind: 'progress', text: note });
              if (offer) add({ kind: 'offers', offers: [offer], taskId: countering.taskId });
            }}
          />
        )}
        {unavailable && <Unavailable what="Chat (POST /api/chat)" />}
        {error !== null && <ErrorNote error={error} />}
        <form class="composer" onSubmit={(e) => void send(e)}>
          <label for="chat-input" class="sr-only">Message to your agent</label>
          <textarea
            id="chat-input"
            rows={2}
            value={text}
            placeholder="What should your agent do?"
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) void send(e);
            }}
          />
          <button type="submit" class="primary" disabled={busy || text.trim() === ''}>
            {busy ? 'Working…' : 'Send'}
          </button>
        </form>
      </section>
      <aside>
        {entries.length > 0 && !busy && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setEntries(() => []);
              setConversationId(undefined);
            }}
          >
            New conversation
          </button>
        )}
        <EarlierConversations
          onOpen={(id, messages) => {
            setConversationId(id);
            setEntries(() => messages.map((m): Entry => (m.role === 'person' ? { kind: 'person', text: m.text } : { kind: 'agent', text: m.text })));
          }}
        />
        <PendingApprovals shownInChat={new Set(entries.flatMap((e) => (e.kind === 'approval' ? [e.approval.approvalId] : [])))} />
      </aside>
    </div>
  );
}
