import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isStewardError, ProtocolError, type SchemaIssue } from '@steward/protocol';
import { ServerError } from '../errors.ts';

/** An RFC 9457 problem details body, with Steward's stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  /** Located problems: schema issues, or a policy's issues with line and column. */
  issues?: readonly (SchemaIssue | Readonly<Record<string, unknown>>)[];
  details?: Readonly<Record<string, unknown>>;
}

/** Sends a problem+json answer. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send(problem);
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Turns any error into problem+json. Unknown errors become a generic 500 whose details stay in the log. */
export function toProblem(error: unknown, instance: string): Problem {
  const base = (status: number, code: string, detail: string): Problem => ({
    type: `https://steward.dev/errors#${code.toLowerCase()}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    instance,
  });
  if (isStewardError(error)) {
    const p = base(error.status, error.code, error.message);
    if (error instanceof ProtocolError && error.issues.length > 0) p.issues = error.issues;
    else {
      // Other packages' errors may carry located issues too (a policy's line and column).
      const issues = (error as { issues?: unknown }).issues;
      if (Array.isArray(issues) && issues.length > 0) p.issues = (issues as Record<string, unknown>[]).slice(0, 100);
    }
    if (Object.keys(error.details).length > 0) p.details = error.details;
    return p;
  }
  const fe = error as FastifyError;
  if (Array.isArray(fe.validation)) {
    const issues = (fe.validation as unknown[]).slice(0, 50).map((raw) => {
      const v = raw as { instancePath?: string; message?: string; params?: { issue?: { path?: unknown; message?: unknown } } };
      const issuePath = v.params?.issue?.path;
      const path =
        Array.isArray(issuePath) && issuePath.length > 0
          ? issuePath.map(String).join('.')
          : (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.') || '(root)';
      const message = typeof v.params?.issue?.message === 'string' ? v.params.issue.message : (v.message ?? 'invalid');
      return { path, message };
    });
    const p = base(400, 'ERR_REQUEST_INVALID', `request ${fe.validationContext ?? 'body'} is invalid: ${issues[0]?.path}: ${issues[0]?.message}`);
    p.issues = issues;
    return p;
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return base(413, 'ERR_BODY_TOO_LARGE', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return base(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'send `application/json`');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return base(400, 'ERR_REQUEST_INVALID', 'request body is not valid json');
    default:
      break;
  }
  if (fe.statusCode === 429) return base(429, 'ERR_RATE_LIMITED', 'too many requests; slow down and retry later');
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return base(fe.statusCode, 'ERR_REQUEST_INVALID', fe.message.toLowerCase());
  }
  return base(500, 'ERR_INTERNAL', 'internal error; details are in the broker log');
}

/** Installs problem+json error and not-found handlers on an instance. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, request.url);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: problem.code }, 'request refused');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, toProblem(new ServerError('ERR_NOT_FOUND', `no route for \`${request.method} ${request.url.split('?')[0]}\``), request.url)),
  );
}
