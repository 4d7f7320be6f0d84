import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { isStewardError, parseJson } from '@steward/protocol';
import { buildJwks, verifyRequest, type RevocationCheck } from '@steward/identity';
import type { AgentCard as SdkAgentCard } from '@a2a-js/sdk';
import { DefaultRequestHandler, InMemoryTaskStore, JsonRpcTransportHandler, ServerCallContext, UnauthenticatedUser } from '@a2a-js/sdk/server';
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server';
import { isLegacyJsonRpcMethod } from '@a2a-js/sdk/compat/v0_3';
import type { AgentCard } from '@steward/protocol';
import type { VendorAgent } from './agent.ts';
import { A2A_PATH } from './card.ts';
import { VendorsError } from '../errors.ts';
import { VendorExecutor } from './executor.ts';
import { readRequestData } from './wire.ts';

/** Largest A2A request body a vendor reads. */
export const MAX_A2A_BODY_BYTES = 256 * 1024;
/** Largest body on any other route (they take none). */
const MAX_OTHER_BODY_BYTES = 1024;

/** Where a vendor serves the registry credentials about itself. */
export const CREDENTIAL_PATH = '/.well-known/steward-credential';

/** A vendor as its server sees it: the agent, its signed card, and the SDK handlers around it. */
export interface VendorRuntime {
  agent: VendorAgent;
  card: AgentCard;
  v1: JsonRpcTransportHandler;
  legacy: LegacyJsonRpcTransportHandler;
}

/** Wraps an agent and its card in @a2a-js/sdk's request handler and both JSON-RPC transports. */
export function createVendorRuntime(agent: VendorAgent, card: AgentCard): VendorRuntime {
  const handler = new DefaultRequestHandler(sdkCardOf(card), new InMemoryTaskStore(), new VendorExecutor(agent));
  return { agent, card, v1: new JsonRpcTransportHandler(handler), legacy: new LegacyJsonRpcTransportHandler(handler) };
}

/** How a vendor's HTTP server behaves. */
export interface VendorAppOptions {
  /** The vendor, once known (its origin is only known after the server listens). */
  runtime: () => VendorRuntime | undefined;
  /** Registry credentials about this vendor (compact JWS each), fetched on every request. */
  credentials?: () => readonly string[];
  /** More routes (the hostile vendor's). */
  extraRoutes?: (app: FastifyInstance) => void;
  /** Refuse A2A requests without a valid RFC 9421 signature by the broker. Default false. */
  requireHttpSignatures?: boolean;
}

/** A parsed JSON body with the exact text it came from. */
interface ParsedBody {
  raw: string;
  value: unknown;
}

const NO_REVOCATION: RevocationCheck = { isKeyRevoked: () => false, isOriginRevoked: () => false };

/** The v1.0 (proto) card the SDK's request handler wants; the served card is the signed v0.3 one. */
function sdkCardOf(card: AgentCard): SdkAgentCard {
  return {
    name: card.name,
    description: card.description,
    supportedInterfaces: [
      { url: card.url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '0.3' },
      { url: card.url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' },
    ],
    provider: undefined,
    version: card.version,
    capabilities: { streaming: false, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: card.defaultInputModes,
    defaultOutputModes: card.defaultOutputModes,
    skills: [],
    signatures: [],
  };
}

function problem(reply: FastifyReply, status: number, code: string, detail: string): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .send({ type: `https://steward.dev/errors#${code.toLowerCase()}`, title: 'Request refused', status, code, detail });
}

/**
 * Builds one vendor's HTTP server (not listening): its signed card, JWKS, registry credentials,
 * terms, and the A2A JSON-RPC endpoint (v0.3 `message/send` and v1.0 `SendMessage`) through
 * @a2a-js/sdk's framework-free request and transport handlers.
 */
export function buildVendorApp(options: VendorAppOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_OTHER_BODY_BYTES });
  const rt = (): VendorRuntime => {
    const r = options.runtime();
    if (!r) throw new VendorsError('ERR_VENDOR_NOT_READY', 'vendor is starting');
    return r;
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/a2a+json'], { parseAs: 'string', bodyLimit: MAX_A2A_BODY_BYTES }, (_req, body, done) => {
    try {
      // Keep the exact bytes: the RFC 9421 Content-Digest is over them, not over a re-encoding.
      const raw = body as string;
      done(null, { raw, value: parseJson(raw, { maxBytes: MAX_A2A_BODY_BYTES, maxDepth: 24 }) } satisfies ParsedBody);
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.setErrorHandler((error, _req, reply) => {
    if (isStewardError(error)) return problem(reply, error.status, error.code, error.message);
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status === 413) return problem(reply, 413, 'ERR_JSON_TOO_LARGE', 'request body is too large');
    if (status === 415) return problem(reply, 415, 'ERR_VENDOR_MEDIA_TYPE', 'send application/json');
    if (status >= 400 && status < 500) return problem(reply, status, 'ERR_VENDOR_REQUEST_INVALID', 'request refused');
    return problem(reply, 500, 'ERR_VENDOR_INTERNAL', 'internal error');
  });

  app.get('/.well-known/agent-card.json', async () => rt().card);
  app.get('/.well-known/jwks.json', async () => buildJwks([rt().agent.key]));
  app.get(CREDENTIAL_PATH, async () => ({ credentials: options.credentials?.() ?? [] }));
  app.get('/terms', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(rt().agent.termsText()));
  options.extraRoutes?.(app);

  app.post(A2A_PATH, { bodyLimit: MAX_A2A_BODY_BYTES }, async (req, reply) => {
    const { agent, v1, legacy } = rt();
    const parsed = req.body as ParsedBody | undefined;
    const signed = req.headers.signature !== undefined || req.headers['signature-input'] !== undefined;
    if (signed || options.requireHttpSignatures === true) {
      try {
        await verifyRequest(
          { method: req.method, url: `${agent.origin}${req.url}`, headers: req.headers, body: parsed?.raw ?? '' },
          { resolveKey: await agent.brokerKeys(), revocation: NO_REVOCATION, replay: agent.replay },
        );
      } catch (error) {
        if (isStewardError(error)) return problem(reply, error.status, error.code, error.message);
        throw error;
      }
    }
    const value = parsed?.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return reply.send({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request' } });
    }
    const body = value as Record<string, unknown>;
    const method = body.method;
    const context = new ServerCallContext({ user: new UnauthenticatedUser() });
    if (method === 'message/send' || method === 'SendMessage') {
      const legacyShape = method === 'message/send';
      const request = firstRequestData(body, legacyShape);
      const raw = request ? await agent.rawReply(request) : undefined;
      if (raw !== undefined) {
        // Only the hostile vendor gets here: its reply data is raw JSON the SDK would not produce.
        const id = JSON.stringify(body.id ?? null);
        const messageId = randomUUID();
        const envelope = legacyShape
          ? `{"jsonrpc":"2.0","id":${id},"result":{"kind":"message","messageId":"${messageId}","role":"agent","parts":[{"kind":"data","data":${raw}}]}}`
          : `{"jsonrpc":"2.0","id":${id},"result":{"message":{"messageId":"${messageId}","role":"ROLE_AGENT","parts":[{"data":${raw},"mediaType":"application/json"}]}}}`;
        return reply.type('application/json').send(envelope);
      }
    }
    const result = await (isLegacyJsonRpcMethod(method) ? legacy : v1).handle(body, context);
    if (typeof (result as AsyncGenerator)[Symbol.asyncIterator] === 'function') {
      return reply.send({ jsonrpc: '2.0', id: body.id ?? null, error: { code: -32004, message: 'streaming is not supported' } });
    }
    return reply.type('application/json').send(result);
  });
  return app;
}

/** The Steward DataPart of a JSON-RPC send request, in the v0.3 (`kind: data`) or v1.0 (`data`) shape. */
function firstRequestData(body: Record<string, unknown>, legacyShape: boolean) {
  const params = body.params as { message?: { parts?: unknown } } | undefined;
  const parts = params?.message?.parts;
  if (!Array.isArray(parts)) return undefined;
  const isData = (p: unknown): p is { data: unknown } =>
    typeof p === 'object' && p !== null && (legacyShape ? (p as { kind?: unknown }).kind === 'data' : 'data' in p);
  const part = (parts as unknown[]).find(isData);
  return part ? readRequestData(part.data) : undefined;
}
