/**
 * Calls to the broker (src/broker/README.md, "Browser API") go through the shared JSON-over-fetch
 * helper: no cookies, no cache, and only the headers the broker's CORS allows — Accept,
 * Authorization (the visitor token, never in a URL), Content-Type with a body. Every answer is
 * told apart by status; the broker's error body `{ error: { code, message } }` gives the code,
 * an empty or foreign body is survived.
 */
import { answerError as readAnswer, callJson, isObject, type FetchLike, type HttpAnswer, type JsonRequest } from '../http.ts';
import type { GuestChatError, ReasonCode } from '../../errors.ts';

/** Resolves with any HTTP answer (its body read); rejects with `network` when there was none. */
export const callBroker = (fetchFn: FetchLike, url: string, request: JsonRequest): Promise<HttpAnswer> =>
  callJson(fetchFn, url, { ...request, readBody: true });

/** The broker's error object `{ code, message }`, when the body has one. */
export const brokerError = (answer: HttpAnswer): unknown => (isObject(answer.body) ? answer.body['error'] : undefined);

/**
 * A non-2xx answer as an error value: 401 refused token, 429 and 5xx transient (with the
 * broker's Retry-After), anything else a refusal of this request; `overrides` adapts it per call.
 */
export const answerError = (answer: HttpAnswer, what: string, overrides: Partial<Record<number, ReasonCode>> = {}): GuestChatError =>
  readAnswer(answer, what, overrides, brokerError(answer));

export { DEFAULT_REQUEST_TIMEOUT_MS, isSuccess, isTransient, readRetryAfter, type FetchLike, type HttpAnswer } from '../http.ts';
