/** Which engine produced a reply; shown plainly to the person with every event. */
export type AgentMode = 'offline-rules' | 'model';

/** How a turn ended. */
export type AgentOutcome =
  | 'asked'
  | 'help'
  | 'answered'
  | 'ordered'
  | 'needs_approval'
  | 'denied'
  | 'failed'
  | 'no_offers'
  | 'cancelled'
  | 'stopped';

/** A step the agent reports while it works. */
export type ProgressStep =
  | 'task_understood'
  | 'vendors_found'
  | 'quotes_received'
  | 'offer_chosen'
  | 'counter_offer'
  | 'recommended'
  | 'ordering'
  | 'refused'
  | 'violation';

/**
 * One event of a reply, streamed as the agent works (the broker forwards them over SSE). Every event
 * carries the mode, so the person always knows whether a language model was involved.
 */
export type AgentEvent =
  | { type: 'progress'; mode: AgentMode; step: ProgressStep; text: string }
  | { type: 'message'; mode: AgentMode; text: string }
  | { type: 'question'; mode: AgentMode; text: string; missing: string[] }
  | {
      type: 'done';
      mode: AgentMode;
      outcome: AgentOutcome;
      taskId?: string;
      orderId?: string;
      approvalId?: string;
    };
