/**
 * LivePerson IdP calls (contract §3): anonymous issue and refresh of the external token, and the
 * exchange of an external token for a consumer JWT. This module only talks and classifies; the
 * retry schedule and the fall-back steps belong to the token lifecycle (auth/).
 *
 * Tokens never appear in an error message or a log line.
 */
import { GuestChatError, type ReasonCode } from '../../errors.ts';
import { requestJson, readServerCode, type FetchLike, type HttpAnswer } from './http.ts';
import { looksLikeJwt } from './jwt.ts';

export type IdpCall = 'issue' | 'refresh' | 'authenticate';

const CALL_NAMES: Record<IdpCall, string> = {
  issue: 'Anonymous token issue',
  refresh: 'Anonymous token refresh',
  authenticate: 'Token exchange',
};

/**
 * Contract §3.4, on HTTP status only (LivePerson's code table is not public):
 * - 429 anywhere → `rate-limited` (with Retry-After when readable).
 * - issue 4xx → `token-issue-refused`: a configuration problem, the caller must not loop.
 * - refresh 4xx, or 5xx with `internalErrorCode` → `token-refresh-refused`: drop the identity.
 * - authenticate 401, or 5xx with `internalErrorCode` (LivePerson's one public code, 9007
 *   "customer JWT not valid", comes with 500) → `token-exchange-refused`: refresh once, retry.
 * - authenticate other 4xx (400 bad body, 403 account/feature off, 404 unknown connector)
 *   → `request-refused`: a refreshed token would not help; no retry.
 * - 5xx without `internalErrorCode` (and anything else unexpected) → `server-error`: retry later.
 */
export function classifyIdpFailure(call: IdpCall, answer: HttpAnswer): GuestChatError {
  const { status } = answer;
  const serverCode = readServerCode(answer.body);
  const details = { status, serverCode, retryAfterSec: answer.retryAfterSec };
  const is4xx = status >= 400 && status < 500;
  const is5xx = status >= 500 && status < 600;
  let reason: ReasonCode;
  if (status === 429) reason = 'rate-limited';
  else if (call === 'issue' && is4xx) reason = 'token-issue-refused';
  else if (call === 'refresh' && (is4xx || (is5xx && serverCode !== undefined))) reason = 'token-refresh-refused';
  else if (call === 'authenticate' && (status === 401 || (is5xx && serverCode !== undefined))) reason = 'token-exchange-refused';
  else if (call === 'authenticate' && is4xx) reason = 'request-refused';
  else reason = 'server-error';
  const codeText = serverCode === undefined ? '' : ` (code ${serverCode})`;
  return new GuestChatError(reason, `${CALL_NAMES[call]} answered ${status}${codeText}`, details);
}

/** The `token` of a 200 body, which must look like a JWT. */
export function readTokenBody(call: IdpCall, body: unknown): string {
  const token = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['token'] : undefined;
  if (!looksLikeJwt(token)) {
    throw new GuestChatError('bad-server-data', `${CALL_NAMES[call]} returned no usable token`, { status: 200 });
  }
  return token;
}

export interface IdpClientOptions {
  account: string;
  connectorId: string;
  /** The IdP origin (`https://host[:port]`), resolved through the Domain API. */
  idpOrigin: () => Promise<string>;
  fetch: FetchLike;
  timeoutMs?: number;
}

export interface IdpClient {
  /** A new anonymous identity: its external token. */
  issue(): Promise<string>;
  /** A new external token for the identity behind `previous`. */
  refresh(previous: string): Promise<string>;
  /** The consumer JWT for an external token. */
  authenticate(external: string): Promise<string>;
}

export function createIdpClient(options: IdpClientOptions): IdpClient {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const account = encodeURIComponent(options.account);

  async function call(kind: IdpCall, path: string, json: unknown): Promise<string> {
    const origin = await options.idpOrigin();
    const answer = await requestJson(options.fetch, `${origin}/api/account/${account}${path}`, {
      method: 'POST',
      json,
      timeoutMs,
    });
    if (answer.status !== 200) throw classifyIdpFailure(kind, answer);
    return readTokenBody(kind, answer.body);
  }

  return {
    issue: () => call('issue', '/anonymous/authorize', undefined),
    refresh: (previous) => call('refresh', '/anonymous/authorize', { id_token: previous }),
    authenticate: (external) =>
      call('authenticate', `/app/${encodeURIComponent(options.connectorId)}/authenticate?v=3.0`, { id_token: external }),
  };
}
