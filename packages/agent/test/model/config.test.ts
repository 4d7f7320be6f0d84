import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { llmConfigFromEnv, probeLlm } from '../../src/index.ts';
import { startScriptedLlm } from '../support/scripted-llm.ts';

async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/v1`;
}

describe('probeLlm', () => {
  it('lists the models and accepts a configured one', async () => {
    const llm = await startScriptedLlm({ models: ['qwen3:8b', 'llama3.1:8b'] });
    try {
      await expect(probeLlm({ baseUrl: llm.baseUrl, model: 'qwen3:8b' })).resolves.toEqual({
        baseUrl: llm.baseUrl,
        model: 'qwen3:8b',
        available: ['qwen3:8b', 'llama3.1:8b'],
      });
      expect(llm.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models']);
    } finally {
      await llm.close();
    }
  });

  it('ERR_AGENT_LLM_MODEL_MISSING names what the server has', async () => {
    const llm = await startScriptedLlm({ models: ['llama3.1:8b'] });
    try {
      await expect(probeLlm({ baseUrl: llm.baseUrl, model: 'qwen3:8b' })).rejects.toMatchObject({
        code: 'ERR_AGENT_LLM_MODEL_MISSING',
        details: { model: 'qwen3:8b', available: ['llama3.1:8b'] },
      });
    } finally {
      await llm.close();
    }
  });

  it('ERR_AGENT_LLM_UNREACHABLE when nothing listens', async () => {
    await expect(probeLlm({ baseUrl: await closedPortUrl(), model: 'm' })).rejects.toMatchObject({ code: 'ERR_AGENT_LLM_UNREACHABLE' });
  });

  it('ERR_AGENT_LLM_UNAUTHORIZED when the key is refused, and sends the key it has', async () => {
    const llm = await startScriptedLlm({ apiKey: 'sk-right' });
    try {
      await expect(probeLlm({ baseUrl: llm.baseUrl, model: 'scripted-model', apiKey: 'sk-wrong' })).rejects.toMatchObject({
        code: 'ERR_AGENT_LLM_UNAUTHORIZED',
      });
      await expect(probeLlm({ baseUrl: llm.baseUrl, model: 'scripted-model', apiKey: 'sk-right' })).resolves.toMatchObject({ model: 'scripted-model' });
    } finally {
      await llm.close();
    }
  });

  it('ERR_AGENT_LLM_UNREACHABLE when the endpoint is not OpenAI-compatible', async () => {
    const llm = await startScriptedLlm();
    try {
      await expect(probeLlm({ baseUrl: llm.baseUrl.replace(/\/v1$/, '/nope'), model: 'm' })).rejects.toMatchObject({
        code: 'ERR_AGENT_LLM_UNREACHABLE',
        details: { status: 404 },
      });
    } finally {
      await llm.close();
    }
  });
});

describe('llmConfigFromEnv', () => {
  it('is undefined without a model (offline rules mode)', () => {
    expect(llmConfigFromEnv({})).toBeUndefined();
  });

  it('reads the three variables', () => {
    expect(
      llmConfigFromEnv({ STEWARD_LLM_BASE_URL: 'http://127.0.0.1:11434/v1', STEWARD_LLM_MODEL: 'qwen3:8b', STEWARD_LLM_API_KEY: 'k' }),
    ).toEqual({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'qwen3:8b', apiKey: 'k' });
  });

  it('ERR_AGENT_CONFIG_INVALID when half set, or the URL carries credentials', () => {
    expect(() => llmConfigFromEnv({ STEWARD_LLM_BASE_URL: 'http://127.0.0.1:11434/v1' })).toThrow(
      expect.objectContaining({ code: 'ERR_AGENT_CONFIG_INVALID', details: { missing: 'STEWARD_LLM_MODEL' } }),
    );
    expect(() => llmConfigFromEnv({ STEWARD_LLM_BASE_URL: 'http://user:pw@host/v1', STEWARD_LLM_MODEL: 'm' })).toThrow(
      expect.objectContaining({ code: 'ERR_AGENT_CONFIG_INVALID' }),
    );
    expect(() => llmConfigFromEnv({ STEWARD_LLM_BASE_URL: 'file:///etc/passwd', STEWARD_LLM_MODEL: 'm' })).toThrow(
      expect.objectContaining({ code: 'ERR_AGENT_CONFIG_INVALID' }),
    );
  });
});
