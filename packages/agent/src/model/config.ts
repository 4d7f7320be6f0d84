import OpenAI from 'openai';
import { AgentError } from '../errors.ts';

/** How to reach an OpenAI-compatible model, and the bounds on one task (THREATS #33). */
export interface LlmConfig {
  /** Base URL including the API prefix, e.g. `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** The model id as `GET {baseUrl}/models` lists it. */
  model: string;
  /** Bearer key; local servers usually accept anything. */
  apiKey?: string;
  /** Most model calls per task (planning included). Default 12. */
  maxModelCalls?: number;
  /** Most tool calls per task. Default 16. */
  maxToolCalls?: number;
  /** Wall-clock limit per turn, in milliseconds. Default 120000. */
  timeoutMs?: number;
  /** Sampling temperature. Default 0. */
  temperature?: number;
  /** Stream tokens over SSE from the model server. Default false. */
  streaming?: boolean;
}

/** The bounds applied when a config does not set them. */
export const LLM_DEFAULTS = { maxModelCalls: 12, maxToolCalls: 16, timeoutMs: 120_000, temperature: 0 } as const;

/**
 * Reads `STEWARD_LLM_BASE_URL`, `STEWARD_LLM_MODEL` and `STEWARD_LLM_API_KEY`. Returns undefined when
 * no base URL is set (the agent then runs in offline rules mode); a half-set configuration is an error.
 */
export function llmConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): LlmConfig | undefined {
  const baseUrl = env.STEWARD_LLM_BASE_URL?.trim();
  const model = env.STEWARD_LLM_MODEL?.trim();
  if (!baseUrl && !model) return undefined;
  if (!baseUrl || !model) {
    throw new AgentError(
      'ERR_AGENT_CONFIG_INVALID',
      `set both \`STEWARD_LLM_BASE_URL\` and \`STEWARD_LLM_MODEL\`, or neither for offline rules mode`,
      { details: { missing: !baseUrl ? 'STEWARD_LLM_BASE_URL' : 'STEWARD_LLM_MODEL' } },
    );
  }
  checkBaseUrl(baseUrl);
  const apiKey = env.STEWARD_LLM_API_KEY?.trim();
  return { baseUrl, model, ...(apiKey ? { apiKey } : {}) };
}

function checkBaseUrl(baseUrl: string): void {
  let ok = false;
  try {
    const u = new URL(baseUrl);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new AgentError('ERR_AGENT_CONFIG_INVALID', `\`STEWARD_LLM_BASE_URL\` must be an http(s) URL without credentials`, {
      details: { field: 'baseUrl' },
    });
  }
}

/** Where the model endpoint stands after a probe. */
export interface ProbeResult {
  baseUrl: string;
  model: string;
  /** Model ids the endpoint lists (first 50). */
  available: string[];
}

/** An openai client for the config; no retries, so failures surface at once. */
export function openaiClient(config: LlmConfig, timeoutMs = 10_000): OpenAI {
  return new OpenAI({ baseURL: config.baseUrl, apiKey: config.apiKey ?? 'not-needed', maxRetries: 0, timeout: timeoutMs });
}

/**
 * Checks the endpoint with `GET {baseUrl}/models` and that the model is listed; says plainly what is
 * wrong otherwise (unreachable, key refused, model missing).
 */
export async function probeLlm(config: LlmConfig, timeoutMs = 10_000): Promise<ProbeResult> {
  checkBaseUrl(config.baseUrl);
  const client = openaiClient(config, timeoutMs);
  const available: string[] = [];
  try {
    for await (const m of client.models.list()) {
      available.push(m.id);
      if (available.length >= 500) break;
    }
  } catch (error) {
    if (error instanceof OpenAI.APIConnectionError) {
      throw new AgentError(
        'ERR_AGENT_LLM_UNREACHABLE',
        `no model server answers at \`${config.baseUrl}\`: start it, or check \`STEWARD_LLM_BASE_URL\` (it usually ends in /v1)`,
        { cause: error, details: { baseUrl: config.baseUrl } },
      );
    }
    if (error instanceof OpenAI.AuthenticationError || error instanceof OpenAI.PermissionDeniedError) {
      throw new AgentError('ERR_AGENT_LLM_UNAUTHORIZED', `the model server at \`${config.baseUrl}\` refused the key: check \`STEWARD_LLM_API_KEY\``, {
        cause: error,
        details: { baseUrl: config.baseUrl, status: error.status },
      });
    }
    if (error instanceof OpenAI.APIError) {
      const status = typeof error.status === 'number' ? error.status : 0;
      throw new AgentError('ERR_AGENT_LLM_UNREACHABLE', `\`${config.baseUrl}/models\` answered ${status}: is this an OpenAI-compatible endpoint?`, {
        cause: error,
        details: { baseUrl: config.baseUrl, status },
      });
    }
    throw error;
  }
  if (!available.includes(config.model)) {
    throw new AgentError(
      'ERR_AGENT_LLM_MODEL_MISSING',
      `the model server at \`${config.baseUrl}\` does not list model \`${config.model}\`: pull or load it, or set \`STEWARD_LLM_MODEL\` to one it lists`,
      { details: { baseUrl: config.baseUrl, model: config.model, available: available.slice(0, 50) } },
    );
  }
  return { baseUrl: config.baseUrl, model: config.model, available: available.slice(0, 50) };
}
