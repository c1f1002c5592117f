/**
 * HTTP pieces the HTTP-stream vendors (Salesforce, the broker) share: the fetch signature
 * (injectable in tests), one JSON-over-fetch helper (no cookies, no cache, a time limit),
 * Retry-After, the reading of a refusal, which failures are worth another attempt, and the
 * lenient readers of JSON answers. Vendor-neutral: each vendor names its routes, its error body
 * and what a status means for it.
 */
import { GuestChatError, type ReasonCode } from '../errors.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpAnswer {
  status: number;
  /** Parsed JSON body, or undefined when there was none, it was not JSON, or it was not read. */
  body: unknown;
  /** Seconds from Retry-After, when the header was present and readable (CORS may hide it). */
  retryAfterSec: number | undefined;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A non-empty string, else undefined. */
export const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** A finite number, else undefined. */
export const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** `value[key]` when value is an object. */
export const get = (value: unknown, key: string): unknown => (isObject(value) ? value[key] : undefined);

/** `value[key]` when it is a non-empty string. */
export const field = (value: unknown, key: string): string | undefined => str(get(value, key));

/** The value when it is an array, else an empty one. */
export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The server's data is not what its API promises (`bad-server-data`). */
export const badData = (message: string): GuestChatError => new GuestChatError('bad-server-data', message);

/** Retry-After as seconds: delta-seconds or an HTTP date. */
export function readRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** The body as JSON; an empty or non-JSON body is survived as undefined. */
export async function readJson(response: Response): Promise<unknown> {
  try {
    const text = await response.text();
    return text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

export const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/** Failures worth another attempt with the same request (429 / 5xx / no answer). */
export const isTransient = (error: GuestChatError): boolean => ['network', 'server-error', 'rate-limited'].includes(error.reason);

/** The client errors (400, 401, 403, 404) of a call that obtains a token, all read as `reason`. */
export const refusedAs = (reason: ReasonCode): Partial<Record<number, ReasonCode>> => ({ 400: reason, 401: reason, 403: reason, 404: reason });

export interface JsonRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Bearer token; absent only for the calls that obtain one. */
  token?: string | undefined;
  /** JSON body; Content-Type is sent only with a body. */
  json?: unknown;
  timeoutMs: number;
  /** Read the body of a 2xx answer (only where a body is promised, W12). Error bodies are always read. */
  readBody?: boolean | undefined;
}

/**
 * `fetch` with no cookies and no cache, ended by `abort` (by the caller, or after `timeoutMs`);
 * `then` reads the response within that time. Rejects with `network` when there was no answer
 * (offline, CORS, time-out: the recovery is the same, retry later), `what` naming the call.
 */
export async function fetchWithin<T>(
  fetchFn: FetchLike,
  url: string,
  init: RequestInit,
  abort: AbortController,
  timeoutMs: number,
  then: (response: Response) => T | Promise<T>,
  what = 'The request',
): Promise<T> {
  const { signal } = abort;
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    let response: Response;
    try {
      response = await fetchFn(url, { ...init, credentials: 'omit', cache: 'no-store', signal });
    } catch (cause) {
      throw new GuestChatError('network', `${what} ${signal.aborted ? 'timed out' : 'failed'}`, { cause });
    }
    return await then(response);
  } finally {
    clearTimeout(timer);
  }
}

/** A response as an answer: its body read as JSON, or left unread (cancelled). */
export async function answerOf(response: Response, readBody: boolean): Promise<HttpAnswer> {
  let body: unknown;
  if (readBody) body = await readJson(response);
  else void response.body?.cancel().catch(() => {});
  return { status: response.status, body, retryAfterSec: readRetryAfter(response.headers.get('Retry-After')) };
}

/**
 * Resolves with any HTTP answer; rejects with `network` when there was none. Only Accept,
 * Authorization and (with a body) Content-Type are sent.
 */
export function callJson(fetchFn: FetchLike, url: string, request: JsonRequest): Promise<HttpAnswer> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (request.token !== undefined) headers['Authorization'] = `Bearer ${request.token}`;
  const init: RequestInit = { method: request.method, headers };
  if (request.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(request.json);
  }
  return fetchWithin(fetchFn, url, init, new AbortController(), request.timeoutMs, (response) =>
    answerOf(response, !!request.readBody || !isSuccess(response.status)),
  );
}

/**
 * A non-2xx answer as an error value: 401 a refused token, 429 and 5xx transient, anything else
 * a refusal of this request; `reasons` adapts that per vendor and call. `error` is the vendor's
 * error object, read for its `code` and `message`.
 */
export function answerError(answer: HttpAnswer, what: string, reasons: Partial<Record<number, ReasonCode>>, error: unknown): GuestChatError {
  const { status, retryAfterSec } = answer;
  const reason =
    reasons[status] ?? (status === 401 ? 'auth-rejected' : status === 429 ? 'rate-limited' : status >= 500 ? 'server-error' : 'request-refused');
  const code = field(error, 'code')?.slice(0, 64);
  const message = field(error, 'message')?.slice(0, 200);
  return new GuestChatError(reason, `${what} answered ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`, {
    status,
    serverCode: code,
    retryAfterSec,
  });
}
