/**
 * One JSON-over-fetch helper for the Domain API and the IdP: a time limit, no cookies, and the
 * parts of a failed answer the callers classify on (status, `internalErrorCode`, Retry-After).
 */
import { GuestChatError } from '../../errors.ts';

// Kept here rather than imported from ../http.ts: LivePerson's chunk would otherwise share a
// separate chunk with the HTTP-stream vendors for a few lines, costing a request and bytes.
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpAnswer {
  status: number;
  /** Parsed JSON body, or undefined when there was none or it was not JSON. */
  body: unknown;
  /** Seconds from Retry-After, when the header was present and readable (CORS may hide it). */
  retryAfterSec: number | undefined;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** JSON body; when absent no Content-Type is sent (a body-less POST stays a simple CORS request). */
  json?: unknown;
  timeoutMs: number;
}

/** Resolves with any HTTP answer; rejects with `network` when there was none (offline, CORS, time-out). */
export async function requestJson(fetchFn: FetchLike, url: string, request: HttpRequest): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    const init: RequestInit = {
      method: request.method,
      credentials: 'omit',
      cache: 'no-store',
      signal: controller.signal,
      headers: { Accept: 'application/json' },
    };
    if (request.json !== undefined) {
      init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
      init.body = JSON.stringify(request.json);
    }
    let response: Response;
    try {
      response = await fetchFn(url, init);
    } catch (cause) {
      // A time-out is reported as `network`: the recovery is the same (retry later).
      const timedOut = controller.signal.aborted;
      throw new GuestChatError('network', timedOut ? 'The request timed out' : 'The request failed', { cause });
    }
    let body: unknown;
    try {
      const text = await response.text();
      body = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body, retryAfterSec: readRetryAfter(response.headers.get('Retry-After')) };
  } finally {
    clearTimeout(timer);
  }
}

/** Retry-After as seconds: delta-seconds or an HTTP date. */
export function readRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** `internalErrorCode` of a LivePerson error body, as a string. */
export function readServerCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const code = (body as Record<string, unknown>)['internalErrorCode'];
  if (typeof code === 'string' && code.length > 0) return code;
  if (typeof code === 'number' && Number.isFinite(code)) return String(code);
  return undefined;
}
