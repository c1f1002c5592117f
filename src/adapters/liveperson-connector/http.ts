/**
 * JSON over fetch to the broker (src/broker/README.md, "Browser API"): no cookies, no cache, and
 * only the headers the broker's CORS allows — Accept, Authorization (the visitor token, never in
 * a URL), Content-Type with a body. Every answer is told apart by status; the broker's error body
 * `{ error: { code, message } }` gives the code, an empty or foreign body is survived.
 */
import { isSuccess, isTransient, readJson, readRetryAfter, type FetchLike, type HttpAnswer } from '../http.ts';
import { GuestChatError, type ReasonCode } from '../../errors.ts';

export interface BrokerRequest {
  method: 'GET' | 'POST';
  /** The visitor token; absent only for `POST /v1/visitors`. */
  token?: string;
  /** JSON body; Content-Type is sent only with a body. */
  json?: unknown;
  timeoutMs: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** Resolves with any HTTP answer; rejects with `network` when there was none (offline, CORS, time-out). */
export async function callBroker(fetchFn: FetchLike, url: string, request: BrokerRequest): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (request.token !== undefined) headers['Authorization'] = `Bearer ${request.token}`;
    const init: RequestInit = { method: request.method, credentials: 'omit', cache: 'no-store', signal: controller.signal, headers };
    if (request.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(request.json);
    }
    let response: Response;
    let body: unknown;
    try {
      response = await fetchFn(url, init);
      body = await readJson(response);
    } catch (cause) {
      // A time-out is reported as `network`: the recovery is the same (retry later).
      const timedOut = controller.signal.aborted;
      throw new GuestChatError('network', timedOut ? 'The broker did not answer in time' : 'The broker could not be reached', { cause });
    }
    return { status: response.status, body, retryAfterSec: readRetryAfter(response.headers.get('Retry-After')) };
  } finally {
    clearTimeout(timer);
  }
}


/** `code` and `message` of the broker's error body, when it has them. */
export function readBrokerError(body: unknown): { code: string | undefined; message: string | undefined } {
  const error = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['error'] : undefined;
  if (typeof error !== 'object' || error === null) return { code: undefined, message: undefined };
  const record = error as Record<string, unknown>;
  const code = typeof record['code'] === 'string' && record['code'].length > 0 ? record['code'].slice(0, 64) : undefined;
  const message = typeof record['message'] === 'string' && record['message'].length > 0 ? record['message'].slice(0, 200) : undefined;
  return { code, message };
}

/**
 * A non-2xx answer as an error value: 401 refused token, 429 and 5xx transient (with the
 * broker's Retry-After), anything else a refusal of this request; `overrides` adapts it per call.
 */
export function answerError(answer: HttpAnswer, what: string, overrides: Partial<Record<number, ReasonCode>> = {}): GuestChatError {
  const { status } = answer;
  let reason: ReasonCode;
  const override = overrides[status];
  if (override !== undefined) reason = override;
  else if (status === 401) reason = 'auth-rejected';
  else if (status === 429) reason = 'rate-limited';
  else if (status >= 500) reason = 'server-error';
  else reason = 'request-refused';
  const { message, code } = readBrokerError(answer.body);
  const details: { status: number; serverCode?: string; retryAfterSec?: number } = { status };
  if (code !== undefined) details.serverCode = code;
  if (answer.retryAfterSec !== undefined) details.retryAfterSec = answer.retryAfterSec;
  return new GuestChatError(reason, `${what} answered ${status}${code === undefined ? '' : ` ${code}`}${message === undefined ? '' : `: ${message}`}`, details);
}

export { isSuccess, isTransient, readRetryAfter, type FetchLike, type HttpAnswer };
