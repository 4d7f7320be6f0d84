/**
 * A scripted OpenAI-compatible server for tests: real HTTP on 127.0.0.1, `GET /v1/models` and
 * `POST /v1/chat/completions` (plain JSON or `stream: true` server-sent events). It answers each chat
 * request with the next turn of a script and records every request, so tests can assert exactly what
 * the model was shown (no budget cap, no raw vendor prose).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One tool call the scripted model makes. */
export interface ScriptedToolCall {
  name: string;
  /** Arguments as an object (sent as JSON) or a raw string (to test malformed JSON). */
  args: unknown;
  id?: string;
}

/** One assistant turn of the script. */
export type ScriptedTurn =
  | { say: string }
  | { call: ScriptedToolCall[]; say?: string }
  | { fail: number; message?: string }
  | { hang: true };

/** A chat message as the server received it. */
export interface RecordedMessage {
  role: string;
  content: string | null;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** The parsed JSON body of a chat request. */
  body?: {
    model?: string;
    stream?: boolean;
    messages?: RecordedMessage[];
    tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
    [key: string]: unknown;
  };
}

/** Options for {@link startScriptedLlm}. */
export interface ScriptedLlmOptions {
  /** Model ids `GET /v1/models` lists. Default `['scripted-model']`. */
  models?: string[];
  /** The assistant turns, in order. */
  script?: ScriptedTurn[];
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
}

/** A running scripted server. */
export interface ScriptedLlm {
  /** Base URL including `/v1`, as `STEWARD_LLM_BASE_URL` takes it. */
  baseUrl: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Chat requests only. */
  chatRequests(): RecordedRequest[];
  /** Appends turns to the script. */
  push(...turns: ScriptedTurn[]): void;
  /** Turns not yet played. */
  remaining(): number;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a scripted OpenAI-compatible server on 127.0.0.1 and an ephemeral port. */
export async function startScriptedLlm(options: ScriptedLlmOptions = {}): Promise<ScriptedLlm> {
  const models = options.models ?? ['scripted-model'];
  const script = [...(options.script ?? [])];
  const requests: RecordedRequest[] = [];
  let callCounter = 0;
  let created = 1_700_000_000;

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const rec: RecordedRequest = { method: req.method ?? 'GET', path, authorization: req.headers.authorization };
      requests.push(rec);
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        send(res, 401, { error: { message: 'invalid api key', type: 'invalid_request_error', code: 'invalid_api_key' } });
        return;
      }
      if (req.method === 'GET' && path === '/v1/models') {
        send(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'scripted' })) });
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        send(res, 404, { error: { message: `no route ${req.method ?? ''} ${path}`, type: 'not_found' } });
        return;
      }
      const raw = await readBody(req);
      rec.body = JSON.parse(raw) as RecordedRequest['body'];
      const turn = script.shift();
      if (!turn) {
        send(res, 500, { error: { message: 'scripted-llm: script exhausted', type: 'server_error' } });
        return;
      }
      if ('hang' in turn) return; // left open until close(): lets tests exercise the wall-clock timeout
      if ('fail' in turn) {
        send(res, turn.fail, { error: { message: turn.message ?? 'scripted failure', type: 'server_error' } });
        return;
      }
      const model = rec.body?.model ?? models[0] ?? 'scripted-model';
      const toolCalls =
        'call' in turn
          ? turn.call.map((c) => ({
              id: c.id ?? `call_${++callCounter}`,
              type: 'function' as const,
              function: { name: c.name, arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) },
            }))
          : [];
      const content = turn.say ?? null;
      const finish = toolCalls.length > 0 ? 'tool_calls' : 'stop';
      const id = `chatcmpl-${++created}`;
      if (rec.body?.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        const chunk = (delta: unknown, finishReason: string | null): void => {
          res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`);
        };
        chunk({ role: 'assistant', content: '' }, null);
        if (content !== null) {
          // split the text in two so clients must join deltas
          const half = Math.ceil(content.length / 2);
          chunk({ content: content.slice(0, half) }, null);
          chunk({ content: content.slice(half) }, null);
        }
        toolCalls.forEach((tc, index) => {
          chunk({ tool_calls: [{ index, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } }] }, null);
          const args = tc.function.arguments;
          const half = Math.ceil(args.length / 2);
          chunk({ tool_calls: [{ index, function: { arguments: args.slice(0, half) } }] }, null);
          chunk({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] }, null);
        });
        chunk({}, finish);
        const streamOptions = rec.body?.stream_options as { include_usage?: boolean } | undefined;
        if (streamOptions?.include_usage === true) {
          res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } })}\n\n`);
        }
        res.write('data: [DONE]\n\n');
        res.end();
        return;
      }
      send(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
            finish_reason: finish,
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      });
    })().catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(error), type: 'server_error' } });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.path === '/v1/chat/completions'),
    push: (...turns) => void script.push(...turns),
    remaining: () => script.length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
