import { SseParser, type SseEvent } from './sse.ts';

const TOKEN_KEY = 'steward.token';

/** An `application/problem+json` answer from the API. */
export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail?: string;
  issues?: unknown[];
  details?: Record<string, unknown>;
}

/** A refused or failed API call, with the stable code of docs/errors.md. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? problem.code);
    this.name = 'ApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }
  /** True when the route itself is not served by this build (calm "not available" state). */
  get notAvailable(): boolean {
    return this.status === 404 && (this.code === 'ERR_NOT_FOUND' || this.code === 'ERR_HTTP_404');
  }
}

/** The token kept for this tab only (sessionStorage): closing the tab signs out. */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps the token for this tab. */
export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** Forgets the token (sign out). */
export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

let onUnauthorized: () => void = () => undefined;

/** Called when the API says the token is wrong, so the app can ask for it again. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function toError(response: Response): Promise<ApiError> {
  let body: Partial<Problem> = {};
  try {
    body = (await response.json()) as Partial<Problem>;
  } catch {
    // not JSON
  }
  const problem: Problem = {
    status: response.status,
    code: typeof body.code === 'string' ? body.code : `ERR_HTTP_${response.status}`,
  };
  if (typeof body.title === 'string') problem.title = body.title;
  if (typeof body.detail === 'string') problem.detail = body.detail;
  if (Array.isArray(body.issues)) problem.issues = body.issues;
  if (body.details && typeof body.details === 'object') problem.details = body.details;
  return new ApiError(problem);
}

function headers(token: string | null, json: boolean): Headers {
  const h = new Headers({ accept: 'application/json' });
  if (token) h.set('authorization', `Bearer ${token}`);
  if (json) h.set('content-type', 'application/json');
  return h;
}

/** Calls the API with the token; parses JSON; throws {@link ApiError} with the problem's code. */
export async function api<T>(method: string, path: string, body?: unknown, token: string | null = storedToken()): Promise<T> {
  const init: RequestInit = { method, headers: headers(token, body !== undefined), credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (!response.ok) {
    const error = await toError(response);
    if (response.status === 401) onUnauthorized();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Fetches a download (proof, export) as a Blob with the token in the header. */
export async function download(path: string): Promise<Blob> {
  const response = await fetch(path, { headers: headers(storedToken(), false), credentials: 'omit', cache: 'no-store' });
  if (!response.ok) throw await toError(response);
  return response.blob();
}

/** Offers a Blob to the person as a file to save. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Reads a `text/event-stream` answer with fetch (so the token travels in a header, never in a URL)
 * and calls `onEvent` for each event until the stream ends or `signal` aborts.
 */
export async function stream(
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  onEvent: (event: SseEvent) => void,
  signal?: AbortSignal,
  onOpen?: () => void,
): Promise<void> {
  const init: RequestInit = { method, headers: headers(storedToken(), body !== undefined), credentials: 'omit', cache: 'no-store' };
  init.headers = new Headers(init.headers);
  init.headers.set('accept', 'text/event-stream');
  if (body !== undefined) init.body = JSON.stringify(body);
  if (signal) init.signal = signal;
  const response = await fetch(path, init);
  if (!response.ok) {
    const error = await toError(response);
    if (response.status === 401) onUnauthorized();
    throw error;
  }
  onOpen?.();
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const event of parser.push(value)) onEvent(event);
  }
}
