import { Id, systemClock, type Clock, type TaskSpec } from '@steward/protocol';
import type { Store } from '@steward/store';
import { AgentError } from './errors.ts';
import type { AgentEvent, AgentMode } from './events.ts';
import { isValidTimeZone } from './internal/zoned-time.ts';
import { checkResult } from './internal/check-result.ts';
import { ConversationRepository, type ConversationMessage, type PendingState } from './conversation/repository.ts';
import { probeLlm, type LlmConfig, type ProbeResult } from './model/config.ts';
import { runModelTurn, violationReporter, type ModelTurnEnd } from './model/run.ts';
import { negotiateByRules, reportPlacement } from './rules/negotiate.ts';
import { OFFLINE_HELP, continueRequest, parseRequest, type ParseContext, type ParseResult } from './rules/parse-task.ts';
import { formatMoney } from './rules/amount.ts';
import { OpenTaskResult, PlaceOrderResult, type BrokerTools, type ViolationSink } from './tools/port.ts';

/** Longest message the agent accepts from the person. */
export const MAX_PERSON_TEXT = 4000;

/** Options for {@link createAgent}. */
export interface CreateAgentOptions {
  /** `offline-rules` (no language model) or `model` (needs `llm`). */
  mode: AgentMode;
  /** The broker's tools: the agent's only way to act. */
  tools: BrokerTools;
  /** A store migrated with the agent's {@link MIGRATIONS} (under the owner `agent`). */
  store: Store;
  /** Time source for relative dates and stored timestamps. Default the system clock. */
  clock?: Clock;
  /** The person's IANA time zone, e.g. `Europe/Berlin`. */
  timeZone: string;
  /** The model endpoint and bounds, for `model` mode. */
  llm?: LlmConfig;
  /** Where refusals and violations are reported (the broker's audit port). */
  onViolation?: ViolationSink;
  /** Currency of bare amounts in offline mode ("under 80"). Default `USD`. */
  defaultCurrency?: string;
}

/** The personal agent: one entry point per person message, replies streamed as events. */
export interface Agent {
  readonly mode: AgentMode;
  /** Handles one message of the person and streams the reply. Persisted as it goes. */
  handle(conversationId: string, text: string): AsyncIterable<AgentEvent>;
  /** The stored messages of a conversation, oldest first. */
  history(conversationId: string): ConversationMessage[];
  /** The newest conversations first, titled by the person's first words. */
  conversations(limit?: number): { conversationId: string; title: string; updatedAt: string }[];
  /** Checks the model endpoint (`model` mode); resolves at once in offline mode. */
  probe(): Promise<ProbeResult | undefined>;
}

const APPROVED = /^\s*(?:yes|yep|ok(?:ay)?|approved?|i(?:'ve| have)? approved(?: it)?|done|go ahead|confirm(?:ed)?|place it|check(?: again)?|status)\b/i;
const CANCEL = /^\s*(?:no|nope|cancel|stop|never ?mind|forget it|don'?t)\b/i;

/**
 * Creates the personal agent. In `offline-rules` mode it parses requests with deterministic rules and
 * negotiates by rules; in `model` mode it plans and negotiates with an OpenAI-compatible model through
 * the broker's tools. Either way it proposes and the broker disposes.
 * @see /docs/agent.md
 */
export function createAgent(options: CreateAgentOptions): Agent {
  const { mode, tools, store, timeZone } = options;
  const clock = options.clock ?? systemClock;
  if (!isValidTimeZone(timeZone)) {
    throw new AgentError('ERR_AGENT_TIME_ZONE_INVALID', `unknown IANA time zone \`${timeZone}\``, { details: { timeZone } });
  }
  if (mode === 'model' && !options.llm) {
    throw new AgentError('ERR_AGENT_CONFIG_INVALID', 'model mode needs an `llm` configuration (STEWARD_LLM_BASE_URL, STEWARD_LLM_MODEL)', {
      details: { field: 'llm' },
    });
  }
  const repo = new ConversationRepository(store, clock);
  const report = violationReporter(options.onViolation);
  const busy = new Set<string>();

  const parseContext = (): ParseContext => ({ now: clock.now(), timeZone, defaultCurrency: options.defaultCurrency ?? 'USD' });

  async function* resumeApproval(pending: Extract<PendingState, { kind: 'approval' }>, text: string): AsyncGenerator<AgentEvent, PendingState | undefined> {
    const m = pending.mode;
    if (CANCEL.test(text)) {
      yield { type: 'message', mode: m, text: 'OK, I will not place that order.' };
      yield { type: 'done', mode: m, outcome: 'cancelled', taskId: pending.taskId };
      return undefined;
    }
    yield { type: 'progress', mode: m, step: 'ordering', text: 'Asking the broker to place the order you approved.' };
    const placed = checkResult(PlaceOrderResult, await tools.placeOrder({ taskId: pending.taskId, offerId: pending.offerId }), 'placeOrder');
    if (placed.status === 'needs_approval') {
      yield { type: 'message', mode: m, text: `The broker is still waiting for your approval${placed.approvalId ? ` (${placed.approvalId})` : ''}. Approve it in Steward, then tell me "approved"; say "cancel" to drop it.` };
      yield { type: 'done', mode: m, outcome: 'needs_approval', taskId: pending.taskId, ...(placed.approvalId ? { approvalId: placed.approvalId } : {}) };
      return { ...pending, ...(placed.approvalId ? { approvalId: placed.approvalId } : {}) };
    }
    yield* reportPlacement(m, placed, pending.taskId);
    return undefined;
  }

  async function* offlineTurn(conversationId: string, text: string, pending: PendingState | undefined): AsyncGenerator<AgentEvent, PendingState | undefined> {
    const m = 'offline-rules' as const;
    const ctx = parseContext();
    const result: ParseResult = pending?.kind === 'clarify' ? continueRequest(pending.partial, text, ctx) : parseRequest(text, ctx);
    switch (result.kind) {
      case 'unknown':
        yield { type: 'message', mode: m, text: OFFLINE_HELP };
        yield { type: 'done', mode: m, outcome: 'help' };
        return undefined;
      case 'question':
        yield { type: 'question', mode: m, text: result.question, missing: result.missing };
        yield { type: 'done', mode: m, outcome: 'asked' };
        return { kind: 'clarify', partial: result.partial };
      case 'task': {
        const task = result.task;
        const opened = checkResult(OpenTaskResult, await tools.openTask({ conversationId, task }), 'openTask');
        repo.addTask(conversationId, opened.taskId, m, task);
        yield { type: 'progress', mode: m, step: 'task_understood', text: describeTask(task) };
        const end = yield* negotiateByRules({ tools, taskId: opened.taskId, task, timeZone });
        return end.offerId
          ? { kind: 'approval', mode: m, taskId: end.taskId, offerId: end.offerId, ...(end.approvalId ? { approvalId: end.approvalId } : {}) }
          : undefined;
      }
    }
  }

  async function* modelTurn(conversationId: string, text: string, pending: PendingState | undefined): AsyncGenerator<AgentEvent, PendingState | undefined> {
    const recording: BrokerTools = {
      openTask: async (input) => {
        const opened = checkResult(OpenTaskResult, await tools.openTask(input), 'openTask');
        repo.addTask(conversationId, opened.taskId, 'model', input.task);
        return opened;
      },
      findVendors: (input) => tools.findVendors(input),
      requestQuotes: (input) => tools.requestQuotes(input),
      counterOffer: (input) => tools.counterOffer(input),
      recommend: (input) => tools.recommend(input),
      askPerson: (input) => tools.askPerson(input),
      placeOrder: (input) => tools.placeOrder(input),
    };
    const end: ModelTurnEnd = yield* runModelTurn({
      llm: options.llm!,
      tools: recording,
      clock,
      timeZone,
      conversationId,
      text,
      ...(pending?.kind === 'model_plan' || pending?.kind === 'model_ask' ? { pending } : {}),
      onViolation: report,
      defaultCurrency: options.defaultCurrency ?? 'USD',
    });
    switch (end.kind) {
      case 'none':
        return undefined;
      case 'pending':
        return end.pending;
      case 'approval':
        return { kind: 'approval', mode: 'model', taskId: end.taskId, offerId: end.offerId, ...(end.approvalId ? { approvalId: end.approvalId } : {}) };
    }
  }

  async function* handle(conversationId: string, text: string): AsyncGenerator<AgentEvent> {
    if (!Id.safeParse(conversationId).success) {
      throw new AgentError('ERR_AGENT_CONVERSATION_ID_INVALID', 'conversation id must be letters, digits and ._:- (at most 128)', {
        details: { conversationId: conversationId.slice(0, 64) },
      });
    }
    if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_PERSON_TEXT) {
      throw new AgentError('ERR_AGENT_MESSAGE_INVALID', `a message must be 1 to ${MAX_PERSON_TEXT} characters`, {
        details: { length: typeof text === 'string' ? text.length : 0 },
      });
    }
    if (busy.has(conversationId)) {
      throw new AgentError('ERR_AGENT_CONVERSATION_BUSY', `conversation \`${conversationId}\` is still answering the previous message`, {
        details: { conversationId },
      });
    }
    busy.add(conversationId);
    try {
      const opened = repo.open(conversationId);
      repo.addPersonText(conversationId, text);
      let pending = opened.pending;
      const emit = (e: AgentEvent): AgentEvent => {
        repo.addEvent(conversationId, e);
        if (e.type === 'done' && e.taskId) repo.setTaskOutcome(e.taskId, e.outcome);
        return e;
      };
      let gen: AsyncGenerator<AgentEvent, PendingState | undefined>;
      if (pending?.kind === 'approval' && (APPROVED.test(text) || CANCEL.test(text))) {
        gen = resumeApproval(pending, text);
      } else {
        if (pending?.kind === 'clarify' && CANCEL.test(text)) {
          repo.setPending(conversationId, undefined);
          yield emit({ type: 'message', mode, text: 'OK, dropped.' });
          yield emit({ type: 'done', mode, outcome: 'cancelled' });
          return;
        }
        if (pending?.kind === 'approval') pending = undefined; // a new request replaces the wait
        gen = mode === 'offline-rules' ? offlineTurn(conversationId, text, pending) : modelTurn(conversationId, text, pending);
      }
      let next = await gen.next();
      while (!next.done) {
        yield emit(next.value);
        next = await gen.next();
      }
      repo.setPending(conversationId, next.value);
    } finally {
      busy.delete(conversationId);
    }
  }

  return {
    mode,
    handle,
    history: (conversationId) => repo.messages(conversationId),
    conversations: (limit) => repo.list(limit),
    probe: async () => (mode === 'model' && options.llm ? probeLlm(options.llm) : undefined),
  };
}

/** One line telling the person what the agent understood. */
export function describeTask(task: TaskSpec): string {
  const parts: string[] = [task.category];
  if (task.items.length > 0) {
    parts.push(task.items.map((i) => `${i.quantity > 1 || i.unit ? `${i.quantity}${i.unit ? ` ${i.unit}` : ''} ` : ''}${i.description}`).join(', '));
  }
  const c = task.constraints;
  if (c.deliveryDay) parts.push(`delivered ${c.deliveryDay}`);
  if (c.deliverBy) parts.push(`delivered by ${c.deliverBy}`);
  if (c.partySize) parts.push(`${c.partySize} people`);
  if (c.reservationAt) parts.push(`at ${c.reservationAt}`);
  if (c.area) parts.push(`near ${c.area}`);
  if (c.from && c.to) parts.push(`${c.from} → ${c.to}`);
  if (c.departDate) parts.push(c.returnDate ? `${c.departDate} to ${c.returnDate}` : c.departDate);
  if (task.budget) parts.push(`budget ${formatMoney(task.budget)}`);
  return `Understood: ${parts.join('; ')}.`;
}
