import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { CliError } from '../errors.ts';

/** Where the broker runs and the bearer token for its person-facing API. */
export interface BrokerConnection {
  url: string;
  token: string;
  /** Where the token came from, for error messages (never the token itself). */
  tokenSource: string;
}

/** Largest server-sent event the client accepts; the broker's are a few kilobytes. */
const MAX_EVENT_BYTES = 256 * 1024;

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Reads the broker URL (`STEWARD_URL`) and the token: `STEWARD_TOKEN`, else the token file
 * (`STEWARD_TOKEN_FILE`, default `<data dir>/token`, the file `steward start` writes). A plain-http
 * URL off loopback is refused: the token would cross the network in clear text.
 */
export function resolveConnection(
  brokerUrl: string,
  dataDir: string,
  env: Readonly<Record<string, string | undefined>>,
): BrokerConnection {
  let url: URL;
  try {
    url = new URL(brokerUrl);
  } catch {
    throw new CliError('ERR_CLI_BROKER_URL_UNSAFE', `\`STEWARD_URL\` is not a URL: \`${brokerUrl.slice(0, 200)}\``, {
      details: { url: brokerUrl.slice(0, 200) },
    });
  }
  const plain = url.protocol === 'http:';
  if ((!plain && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || (plain && !isLoopbackHost(url.hostname))) {
    throw new CliError(
      'ERR_CLI_BROKER_URL_UNSAFE',
      `refusing to send the token to \`${url.origin}\`: use https, or http only on 127.0.0.1 / localhost`,
      { details: { url: url.origin } },
    );
  }
  const base = url.href.replace(/\/+$/, '');
  const fromEnv = env.STEWARD_TOKEN?.trim();
  if (fromEnv) return { url: base, token: fromEnv, tokenSource: '`STEWARD_TOKEN`' };
  const file = env.STEWARD_TOKEN_FILE ?? join(dataDir, 'token');
  const token = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (token === '') {
    throw new CliError(
      'ERR_CLI_TOKEN_MISSING',
      `no API token: \`${file}\` does not exist or is empty; set \`STEWARD_DATA_DIR\` to the broker's data directory or \`STEWARD_TOKEN\` to the token \`steward start\` printed`,
      { details: { file } },
    );
  }
  return { url: base, token, tokenSource: `\`${file}\`` };
}

/** One event of the broker's chat stream, parsed from its `data:` line. */
export type ChatStreamEvent = Record<string, unknown> & { type: string };

/**
 * A small client of the broker's person-facing API: JSON requests and the chat's server-sent
 * event stream, with coded errors for a broker that is down, a refused token, or a failed request.
 */
export class BrokerClient {
  constructor(
    readonly connection: BrokerConnection,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Sends a request and checks the answer's status; the body is left to the caller. */
  async request(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
    const { url, token } = this.connection;
    let res: Response;
    try {
      res = await this.fetchImpl(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new CliError(
        'ERR_CLI_BROKER_UNREACHABLE',
        `no broker answers at \`${url}\`: start it with \`steward start\`, or set \`STEWARD_URL\` to where it runs`,
        { cause: error, details: { url } },
      );
    }
    if (res.status === 401) {
      await res.body?.cancel();
      throw new CliError(
        'ERR_CLI_TOKEN_REFUSED',
        `the broker at \`${url}\` refused the token from ${this.connection.tokenSource}: use the token of that broker (in its data directory's \`token\` file)`,
        { details: { url, status: 401 } },
      );
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let code: string | undefined;
      let detail = '';
      try {
        const problem = JSON.parse(text) as { code?: unknown; detail?: unknown; message?: unknown };
        if (typeof problem.code === 'string') code = problem.code.slice(0, 80);
        const d = problem.detail ?? problem.message;
        if (typeof d === 'string') detail = d.slice(0, 300);
      } catch {
        // not problem+json: the status says enough
      }
      throw new CliError(
        'ERR_CLI_BROKER_FAILED',
        `\`${method} ${path}\` answered ${res.status}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`,
        { details: { status: res.status, ...(code ? { code } : {}) } },
      );
    }
    return res;
  }

  /** A JSON request; the answer must be a JSON object. */
  async json<T extends object = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    let parsed: unknown;
    try {
      parsed = await res.json();
    } catch (error) {
      throw new CliError('ERR_CLI_BROKER_FAILED', `\`${method} ${path}\` did not answer JSON`, { cause: error, details: { path } });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CliError('ERR_CLI_BROKER_FAILED', `\`${method} ${path}\` did not answer a JSON object`, { details: { path } });
    }
    return parsed as T;
  }

  /** `POST /api/chat`: yields the agent's events as the broker streams them. */
  async *chat(text: string, conversationId?: string): AsyncGenerator<ChatStreamEvent> {
    const res = await this.request('POST', '/api/chat', { text, ...(conversationId ? { conversationId } : {}) }, 'text/event-stream');
    if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || !res.body) {
      await res.body?.cancel();
      throw new CliError('ERR_CLI_BROKER_FAILED', '`POST /api/chat` did not answer an event stream: is this a Steward broker?', {
        details: { contentType: res.headers.get('content-type') ?? '' },
      });
    }
    for await (const data of readSse(res.body)) {
      let event: unknown;
      try {
        event = JSON.parse(data);
      } catch (error) {
        throw new CliError('ERR_CLI_BROKER_FAILED', 'the chat stream sent an event that is not JSON', { cause: error });
      }
      if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string') {
        throw new CliError('ERR_CLI_BROKER_FAILED', 'the chat stream sent an event without a type');
      }
      yield event as ChatStreamEvent;
    }
  }
}

/**
 * Reads a `text/event-stream` body and yields each event's data (its `data:` lines joined), as it
 * arrives. Comments and other fields are skipped; an event larger than 256 KiB is refused.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  const take = function* (final: boolean): Generator<string> {
    buffer = buffer.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1 || (final && buffer.trim() !== '')) {
      const block = end === -1 ? buffer : buffer.slice(0, end);
      buffer = end === -1 ? '' : buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line === 'data' || line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''));
      if (data.length > 0) yield data.join('\n');
    }
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    yield* take(false);
    if (buffer.length > MAX_EVENT_BYTES) {
      throw new CliError('ERR_CLI_BROKER_FAILED', 'the chat stream sent an event larger than 256 KiB', { details: { limit: MAX_EVENT_BYTES } });
    }
  }
  buffer += decoder.decode();
  yield* take(true);
}
