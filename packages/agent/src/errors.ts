import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the agent, with the HTTP status each maps to. */
export const AGENT_ERROR_STATUS = {
  ERR_AGENT_CONFIG_INVALID: 500,
  ERR_AGENT_TIME_ZONE_INVALID: 500,
  ERR_AGENT_LLM_UNREACHABLE: 502,
  ERR_AGENT_LLM_UNAUTHORIZED: 502,
  ERR_AGENT_LLM_MODEL_MISSING: 502,
  ERR_AGENT_LLM_FAILED: 502,
  ERR_AGENT_TOOL_RESULT_INVALID: 502,
  ERR_AGENT_CONVERSATION_ID_INVALID: 400,
  ERR_AGENT_CONVERSATION_BUSY: 409,
  ERR_AGENT_MESSAGE_INVALID: 400,
} as const satisfies Record<string, number>;

/** A code raised by the agent. */
export type AgentErrorCode = keyof typeof AGENT_ERROR_STATUS;

/** The agent could not start, reach its model, or read what the broker or the person sent. */
export class AgentError extends StewardError<AgentErrorCode> {
  constructor(code: AgentErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, AGENT_ERROR_STATUS[code], options);
  }
}
