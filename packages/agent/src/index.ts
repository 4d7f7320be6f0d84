export { createAgent, describeTask, MAX_PERSON_TEXT } from './agent.ts';
export type { Agent, CreateAgentOptions } from './agent.ts';
export type { AgentEvent, AgentMode, AgentOutcome, ProgressStep } from './events.ts';
export { AgentError, AGENT_ERROR_STATUS } from './errors.ts';
export type { AgentErrorCode } from './errors.ts';
export {
  OfferView,
  VendorView,
  FlagView,
  UntrustedVendorText,
  OpenTaskResult,
  FindVendorsResult,
  RequestQuotesResult,
  CounterOfferResult,
  RecommendResult,
  AskPersonResult,
  PlaceOrderResult,
  TOOL_NAMES,
  VENDOR_TEXT_MAX,
  capVendorText,
} from './tools/port.ts';
export type { BrokerTools, ToolName, AgentViolation, ViolationSink } from './tools/port.ts';
export { MIGRATIONS } from './conversation/migrations.ts';
export { ConversationRepository, PendingState } from './conversation/repository.ts';
export type { ConversationMessage } from './conversation/repository.ts';
export { parseRequest, continueRequest, normalizeText, parseItems, OFFLINE_HELP, PartialTask, MissingField } from './rules/parse-task.ts';
export type { ParseContext, ParseResult } from './rules/parse-task.ts';
export { findAmount, formatMoney } from './rules/amount.ts';
export { findDates, findTime } from './rules/dates.ts';
export type { DateOrder } from './rules/dates.ts';
export { negotiateByRules, pickBest, unmetConstraint, counterAsk, COUNTER_DISCOUNT_PERCENT } from './rules/negotiate.ts';
export { llmConfigFromEnv, probeLlm, LLM_DEFAULTS } from './model/config.ts';
export type { LlmConfig, ProbeResult } from './model/config.ts';
export { toolNamesFor, TOOL_ARGS } from './model/toolset.ts';
export { echoesVendorText, sanitizeModelText } from './model/run.ts';
