/**
 * One JSON-over-fetch helper for the v2 REST calls (contract §2.0): no cookies, no cache, only
 * the headers of §4, a time limit, and the parts of an answer the callers classify on. Errors are
 * told apart by status only; a body that is empty or not JSON is survived (W12).
 */
import { isSuccess, isTransient, readJson, readRetryAfter, type FetchLike, type HttpAnswer } from '../http.ts';
import { GuestChatError, type ReasonCode } from '../../errors.ts';

export interface ApiRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Bearer token; absent only for the guest token request (§2.1). */
  token?: string;
  /** JSON body; Content-Type is sent only with a body. */
  json?: unknown;
  timeoutMs: number;
  /** Read the body of a 2xx answer (only where a body is promised, W12). Error bodies are always read. */
  readBody?: boolean;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** Resolves with any HTTP answer; rejects with `network` when there was none (offline, CORS, time-out). */
export async function callApi(fetchFn: FetchLike, url: string, request: ApiRequest): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (request.token !== undefined) headers['Authorization'] = `Bearer ${request.token}`;
    const init: RequestInit = {
      method: request.method,
      credentials: 'omit',
      cache: 'no-store',
      signal: controller.signal,
      headers,
    };
    if (request.json !== undefined) {
      headers['Content-Type'] = 'application/json';
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
    const ok = response.status >= 200 && response.status < 300;
    const body = ok && request.readBody !== true ? undefined : await readJson(response);
    if (ok && request.readBody !== true) void response.body?.cancel().catch(() => {});
    return { status: response.status, body, retryAfterSec: readRetryAfter(response.headers.get('Retry-After')) };
  } finally {
    clearTimeout(timer);
  }
}


/** `message` and `code` of an error body (§2.0), when it has them. */
export function readErrorBody(body: unknown): { message: string | undefined; code: string | undefined } {
  if (typeof body !== 'object' || body === null) return { message: undefined, code: undefined };
  const record = body as Record<string, unknown>;
  const message = typeof record['message'] === 'string' && record['message'].length > 0 ? record['message'] : undefined;
  const code = typeof record['code'] === 'string' && record['code'].length > 0 ? record['code'] : undefined;
  return { message: message?.slice(0, 200), code };
}

/**
 * A non-2xx answer as an error value. The default reading is §2.0: 401/403 refused token,
 * 429 and 5xx transient, anything else a refusal of this request; `overrides` adapts it per call.
 */
export function answerError(
  answer: HttpAnswer,
  what: string,
  overrides: Partial<Record<number, ReasonCode>> = {},
): GuestChatError {
  const { status } = answer;
  let reason: ReasonCode;
  const override = overrides[status];
  if (override !== undefined) reason = override;
  else if (status === 401 || status === 403) reason = 'auth-rejected';
  else if (status === 429) reason = 'rate-limited';
  else if (status >= 500) reason = 'server-error';
  else reason = 'request-refused';
  const { message, code } = readErrorBody(answer.body);
  const details: { status: number; serverCode?: string; retryAfterSec?: number } = { status };
  if (code !== undefined) details.serverCode = code;
  if (answer.retryAfterSec !== undefined) details.retryAfterSec = answer.retryAfterSec;
  return new GuestChatError(reason, `${what} answered ${status}${message === undefined ? '' : `: ${message}`}`, details);
}

export { isSuccess, isTransient, readRetryAfter, type FetchLike, type HttpAnswer };
