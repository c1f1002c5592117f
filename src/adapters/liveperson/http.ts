/**
 * One JSON-over-fetch helper for the Domain API, the IdP and agent profiles: a time limit, no
 * cookies, and the parts of a failed answer the callers classify on (status,
 * `internalErrorCode`, Retry-After).
 */
import { GuestChatError } from '../../errors.ts';
import { readJson, readRetryAfter, type FetchLike, type HttpAnswer } from '../http.ts';

export type { FetchLike, HttpAnswer };

/**
 * Resolves with any HTTP answer; rejects with `network` when there was none (offline, CORS,
 * time-out). Without `json` no Content-Type is sent (a body-less POST stays a simple CORS request).
 */
export async function requestJson(
  fetchFn: FetchLike,
  url: string,
  timeoutMs: number,
  method: 'GET' | 'POST' = 'GET',
  json?: unknown,
): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  // JSON.stringify(undefined) is undefined (its declared type says string): no body then.
  const body: string | undefined = JSON.stringify(json);
  try {
    const response = await fetchFn(url, {
      method,
      credentials: 'omit',
      cache: 'no-store',
      signal: controller.signal,
      headers: body ? { Accept: 'application/json', 'Content-Type': 'application/json' } : { Accept: 'application/json' },
      body,
    }).catch((cause: unknown) => {
      // A time-out is reported as `network`: the recovery is the same (retry later).
      throw new GuestChatError('network', `The request ${controller.signal.aborted ? 'timed out' : 'failed'}`, { cause });
    });
    return { status: response.status, body: await readJson(response), retryAfterSec: readRetryAfter(response.headers.get('Retry-After')) };
  } finally {
    clearTimeout(timer);
  }
}

/** `{origin}/api/account/{account}{path}`: the shape of every LivePerson REST address. */
export const accountUrl = (origin: string, account: string, path: string): string =>
  `${origin}/api/account/${encodeURIComponent(account)}${path}`;

