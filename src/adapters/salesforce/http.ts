/**
 * The v2 REST calls (contract §2.0) go through the shared JSON-over-fetch helper: no cookies, no
 * cache, only the headers of §4, a time limit. Errors are told apart by status only; a body that
 * is empty or not JSON is survived (W12). This names what a status means here.
 */
import { answerError as readAnswer, isSuccess, type HttpAnswer } from '../http.ts';
import type { GuestChatError, ReasonCode } from '../../errors.ts';

/**
 * A non-2xx answer as an error value. The default reading is §2.0: 401/403 refused token,
 * 429 and 5xx transient, anything else a refusal of this request; `overrides` adapts it per call.
 * The error body is `{ message, code }`.
 */
export const answerError = (answer: HttpAnswer, what: string, overrides: Partial<Record<number, ReasonCode>> = {}): GuestChatError =>
  readAnswer(answer, what, { 403: 'auth-rejected', ...overrides }, answer.body);

/** The body of a 2xx answer; any other answer throws its `answerError`. */
export function bodyOf(answer: HttpAnswer, what: string, overrides?: Partial<Record<number, ReasonCode>>): unknown {
  if (!isSuccess(answer.status)) throw answerError(answer, what, overrides);
  return answer.body;
}

export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  callJson as callApi,
  isSuccess,
  isTransient,
  readRetryAfter,
  type FetchLike,
  type HttpAnswer,
} from '../http.ts';
