import { randomUUID } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { Role, type Message, type Part } from '@a2a-js/sdk';
import { JsonRpcTransportFactory, type Transport } from '@a2a-js/sdk/client';
import type { EnrolledVendor, OutboundMessage, VendorReply, VendorTransport } from '@steward/broker';
import { isPrivateAddress, signRequest, type SigningKey } from '@steward/identity';
import { ServerError } from './errors.ts';

/** Options of {@link A2aVendorTransport}. */
export interface A2aTransportOptions {
  /** The broker's current message key: every outbound request is signed with it (RFC 9421). */
  signingKey: () => SigningKey;
  /** Development only: allow vendors on loopback and private addresses (the demo world). */
  allowPrivate?: boolean;
  /** Largest vendor answer in bytes. Default 256 KiB (THREATS #29). */
  maxResponseBytes?: number;
  /** Whole-request limit in ms. Default 10 s. */
  timeoutMs?: number;
}

/**
 * Marks a refusal made before any byte left for the vendor (`details.sent: false`): the engine may
 * then treat an order as never placed. Any other failure may have reached the vendor.
 */
const NOT_SENT = { details: { sent: false } } as const;

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = (Array.isArray(addresses) ? addresses : [addresses]);
      const bad = list.find((a) => !allowPrivate && isPrivateAddress(a.address));
      if (bad) return callback(new ServerError('ERR_REQUEST_INVALID', `\`${hostname}\` resolves to a private address`, NOT_SENT), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/** Sockets whose connection (and TLS handshake) has come up: a request on one of them may have been sent. */
const upSockets = new WeakSet<Duplex>();

/** Idle keep-alive connections to a vendor are closed after this long (below common server timeouts of 5 s). */
const IDLE_SOCKET_MS = 4000;

/** The pooled connections of one vendor: keep-alive, a few at most, idle ones closed after {@link IDLE_SOCKET_MS}. */
export function vendorAgent(vendor: EnrolledVendor): HttpAgent {
  const options = { keepAlive: true, maxSockets: 8, maxFreeSockets: 4, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const };
  return new URL(vendor.origin).protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
}

/**
 * A `fetch` for the A2A client that only POSTs to the vendor's own origin, signs every request
 * with RFC 9421 (Web Bot Auth profile), never follows redirects, refuses private addresses (unless
 * the development flag is on), and caps the answer's size and time. With an `agent`, connections
 * are kept alive (a new connection per request cost more than the rest of a quote's HTTP work);
 * every new connection goes through the guarded lookup, so a reused one is always to an address
 * that passed it. Only then, a request that fails on a reused connection before any answer, and
 * before this fetch has failed or answered for another reason (timeout, abort, shutdown), is sent
 * once more on a new connection: the same signed bytes, so a vendor that did see the first refuses
 * the second as a replay. Use an agent only for messages whose repetition is harmless (requests for
 * quotes, counter-offers); an order goes on a fresh connection and is never resent, so a reset can
 * never turn an accepted order into a reported refusal.
 */
export function vendorFetch(vendor: EnrolledVendor, options: A2aTransportOptions, agent: HttpAgent | false = false, closed: () => boolean = () => false): typeof fetch {
  const maxBytes = options.maxResponseBytes ?? 256 * 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const allowPrivate = options.allowPrivate === true;
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (url.origin !== vendor.origin) {
      throw new ServerError('ERR_REQUEST_INVALID', `refusing to send to \`${url.origin}\`: not the enrolled origin \`${vendor.origin}\``, NOT_SENT);
    }
    if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
      throw new ServerError('ERR_REQUEST_INVALID', `refusing plain http to \`${url.origin}\``, NOT_SENT);
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !allowPrivate && isPrivateAddress(host)) {
      throw new ServerError('ERR_REQUEST_INVALID', `refusing private address \`${host}\``, NOT_SENT);
    }
    const method = (init?.method ?? 'GET').toUpperCase();
    const signal = init?.signal ?? undefined;
    const headers: Record<string, string> = {};
    let body: string;
    try {
      if (signal?.aborted) throw new Error('aborted before sending');
      body = typeof init?.body === 'string' ? init.body : init?.body ? Buffer.from(await new Response(init.body).arrayBuffer()).toString('utf8') : '';
      new Headers(init?.headers).forEach((value, key) => {
        headers[key] = value;
      });
      headers['content-type'] ??= 'application/json';
      headers['accept-encoding'] = 'identity';
      Object.assign(headers, signRequest({ method, url: url.href, headers, body }, options.signingKey()));
    } catch (cause) {
      throw new ServerError('ERR_REQUEST_INVALID', `request to \`${vendor.origin}\` not sent: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, ...NOT_SENT });
    }
    return new Promise<Response>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      // Until the connection (and its TLS handshake) is up, no byte of the request has left.
      let connected = false;
      let answered = false;
      let settled = false;
      let req: ClientRequest | undefined;
      // Sticky: once a copy of the request may have left, a resend that fails to connect does not
      // make it "never sent".
      const start = (via: HttpAgent | false) => {
        const r = send(url, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup: guardedLookup(allowPrivate), agent: via }, (res: IncomingMessage) => {
          answered = true;
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            res.resume();
            return fail(new ServerError('ERR_REQUEST_INVALID', `\`${vendor.origin}\` answered with a redirect; redirects are never followed`));
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) return fail(new ServerError('ERR_BODY_TOO_LARGE', `\`${vendor.origin}\` answered with more than ${maxBytes} bytes`));
            chunks.push(chunk);
          });
          res.on('end', () => {
            const responseHeaders = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') responseHeaders.set(k, v);
            // A status the Response class refuses (204, 999, …) must be a refusal, not an uncaught throw in this listener.
            let response: Response;
            try {
              response = new Response(Buffer.concat(chunks), { status, headers: responseHeaders });
            } catch {
              return fail(new ServerError('ERR_REQUEST_INVALID', `\`${vendor.origin}\` answered with status ${status}, which is not an A2A answer`));
            }
            if (settle()) resolve(response);
          });
          res.on('error', fail);
        });
        req = r;
        let reused = false;
        r.on('socket', (socket) => {
          // A pooled socket handed to a request that waited in the agent's queue has `reusedSocket`
          // false although it is long connected: its `connect` would never fire again.
          if (r.reusedSocket || upSockets.has(socket)) {
            connected = reused = true;
            return;
          }
          socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
            upSockets.add(socket);
            connected = true;
          });
        });
        r.on('error', (error: NodeJS.ErrnoException) => {
          if (!settled && !answered && via !== false && reused && (error.code === 'ECONNRESET' || error.code === 'EPIPE') && !signal?.aborted && !closed()) return start(false);
          fail(error);
        });
        r.end(body);
      };
      const timer = setTimeout(() => fail(new ServerError('ERR_REQUEST_INVALID', `\`${vendor.origin}\` did not answer within ${timeoutMs} ms`)), timeoutMs);
      const onAbort = () => fail(new ServerError('ERR_REQUEST_INVALID', 'request aborted'));
      function settle(): boolean {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      }
      function fail(error: Error) {
        const sent = connected;
        if (!settle()) return;
        req?.destroy();
        if (sent || (error as { details?: { sent?: unknown } }).details?.sent === false) return reject(error);
        // Failed before the connection was up: say that nothing was sent (an order can then be released).
        reject(new ServerError('ERR_REQUEST_INVALID', `could not connect to \`${vendor.origin}\`: ${error.message}`, { cause: error, ...NOT_SENT }));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      start(agent);
    });
  };
}

/**
 * Talks to vendors over A2A JSON-RPC with @a2a-js/sdk's client: one `SendMessage` per Steward
 * message, the signed JWS in a single data part (docs/wire-protocol.md).
 */
export class A2aVendorTransport implements VendorTransport {
  readonly #options: A2aTransportOptions;
  readonly #clients = new Map<string, { url: string; ready: Promise<{ pooled: Transport; fresh: Transport }>; agent: HttpAgent }>();
  #closed = false;

  constructor(options: A2aTransportOptions) {
    this.#options = options;
  }

  async exchange(vendor: EnrolledVendor, message: OutboundMessage, signal: AbortSignal): Promise<VendorReply> {
    const clients = await this.#transport(vendor);
    // Requests for quotes and counter-offers may be resent once after a stale pooled connection; an
    // order never is (see vendorFetch).
    const transport = message.steward === 'order' ? clients.fresh : clients.pooled;
    const part = { content: { $case: 'data', value: { steward: message.steward, jws: message.jws } }, metadata: undefined, filename: '', mediaType: 'application/json' } as unknown as Part;
    const a2aMessage = {
      messageId: randomUUID(),
      contextId: '',
      taskId: '',
      role: Role.ROLE_USER,
      parts: [part],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    } as unknown as Message;
    const result = await transport.sendMessage({ tenant: '', message: a2aMessage, configuration: undefined, metadata: undefined }, { signal });
    return readReply(result);
  }

  /**
   * The vendor's terms of sale, `GET /terms` on its enrolled origin (docs/wire-protocol.md), with
   * the same guards as every request: enrolled origin only, no redirects, signed, capped in size
   * and time.
   */
  async fetchTerms(vendor: EnrolledVendor, signal: AbortSignal): Promise<Buffer> {
    if (this.#closed) throw new ServerError('ERR_REQUEST_INVALID', 'the broker is shutting down; nothing was sent', NOT_SENT);
    const res = await vendorFetch(vendor, this.#options)(`${vendor.origin}/terms`, { method: 'GET', signal });
    if (res.status !== 200) throw new ServerError('ERR_REQUEST_INVALID', `\`${vendor.origin}/terms\` answered with status ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  #transport(vendor: EnrolledVendor): Promise<{ pooled: Transport; fresh: Transport }> {
    if (this.#closed) return Promise.reject(new ServerError('ERR_REQUEST_INVALID', 'the broker is shutting down; nothing was sent', NOT_SENT));
    const cached = this.#clients.get(vendor.origin);
    if (cached && cached.url === vendor.a2aUrl) return cached.ready;
    if (new URL(vendor.a2aUrl).origin !== vendor.origin) {
      return Promise.reject(new ServerError('ERR_REQUEST_INVALID', `the card of \`${vendor.origin}\` names an A2A endpoint on another origin`, NOT_SENT));
    }
    cached?.agent.destroy();
    const agent = vendorAgent(vendor);
    const card = { supportedInterfaces: [{ url: vendor.a2aUrl, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' }] } as unknown as Parameters<JsonRpcTransportFactory['create']>[1];
    // Cached before it resolves, so concurrent first requests to a vendor share one pool.
    const ready = Promise.all([
      new JsonRpcTransportFactory({ fetchImpl: vendorFetch(vendor, this.#options, agent, () => this.#closed) }).create(vendor.a2aUrl, card),
      new JsonRpcTransportFactory({ fetchImpl: vendorFetch(vendor, this.#options) }).create(vendor.a2aUrl, card),
    ]).then(
      ([pooled, fresh]) => ({ pooled, fresh }),
      (error: unknown) => {
        // Not kept: the next request tries afresh.
        if (this.#clients.get(vendor.origin)?.ready === ready) this.#clients.delete(vendor.origin);
        agent.destroy();
        throw error;
      },
    );
    this.#clients.set(vendor.origin, { url: vendor.a2aUrl, ready, agent });
    return ready;
  }

  /** Closes every pooled vendor connection (at shutdown); requests cut by it are not resent. */
  close(): void {
    this.#closed = true;
    for (const { agent } of this.#clients.values()) agent.destroy();
    this.#clients.clear();
  }
}

/**
 * Finds the single Steward data part in an A2A result (a Message, or a Task's status message or
 * artifacts). A reply with more than one part is refused: extra parts are how a vendor would smuggle
 * a second order or its own tool definitions (THREATS #18, #39).
 */
export function readReply(result: unknown): VendorReply {
  if (typeof result !== 'object' || result === null) return { steward: 'refusal', reason: 'bad_request: the vendor answered with no message', malformed: 'no message' };
  const r = result as { parts?: unknown[]; status?: { message?: { parts?: unknown[] } }; artifacts?: Array<{ parts?: unknown[] }> };
  const parts = r.parts ?? r.status?.message?.parts ?? r.artifacts?.flatMap((a) => a.parts ?? []) ?? [];
  if (parts.length !== 1) {
    const what = `${parts.length} parts; exactly one Steward data part is accepted`;
    return { steward: 'refusal', reason: `bad_request: the vendor answered with ${what}`, malformed: what };
  }
  const p = parts[0];
  const content = (p as { content?: { $case?: string; value?: unknown } }).content;
  const data = content?.$case === 'data' ? content.value : (p as { kind?: string; data?: unknown }).kind === 'data' ? (p as { data?: unknown }).data : undefined;
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    const d = data as Record<string, unknown>;
    const extra = Object.keys(d).filter((k) => k !== 'steward' && k !== 'jws' && k !== 'reason');
    if (typeof d.steward === 'string' && extra.length === 0) {
      return {
        steward: d.steward.slice(0, 32),
        ...(typeof d.jws === 'string' ? { jws: d.jws } : {}),
        ...(typeof d.reason === 'string' ? { reason: d.reason.slice(0, 300) } : {}),
      };
    }
  }
  return { steward: 'refusal', reason: 'bad_request: the vendor answered without a well-formed Steward data part', malformed: 'no well-formed Steward data part (unknown keys or wrong types)' };
}
