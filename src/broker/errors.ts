/**
 * Errors the broker answers with. Every browser-facing failure is `{ error: { code, message } }`
 * with one of these codes; the README lists them. A message never carries a credential:
 * `scrub` removes anything that looks like a JWT before text from LivePerson is passed on.
 */

export const BROKER_ERROR_CODES = [
  'bad-request',
  'not-found',
  'method-not-allowed',
  'origin-not-allowed',
  'payload-too-large',
  'visitor-token-missing',
  'visitor-token-invalid',
  'visitor-token-expired',
  'refresh-window-ended',
  'rate-limited',
  'conversation-already-open',
  'conversation-closed',
  'send-in-progress',
  'upstream-refused',
  'upstream-auth-failed',
  'upstream-rate-limited',
  'upstream-unavailable',
  'internal',
] as const;

export type BrokerErrorCode = (typeof BROKER_ERROR_CODES)[number];

export class BrokerError extends Error {
  constructor(
    readonly status: number,
    readonly code: BrokerErrorCode,
    message: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}

/** The app credentials were refused by Sentinel: a configuration error of the site owner. */
export class CredentialsError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/** Bad or missing environment. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * A non-success answer from LivePerson. `errorCode` is the Connector API's `body.errorCode`
 * (40102 invalid AppJWT, 40103 invalid ConsumerJWS, ...) when present.
 */
export class LivePersonError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorCode?: number,
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'LivePersonError';
  }
}

const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)?/g;

/** Text from elsewhere, safe to pass on: no JWT-looking runs, bounded length. */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(JWT_LIKE, '[token]');
  for (const secret of secrets) if (secret) out = out.split(secret).join('[secret]');
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}

/** What the browser is told when a LivePerson call failed. */
export function toBrowserError(error: unknown, secrets: readonly string[] = []): BrokerError {
  if (error instanceof BrokerError) return error;
  if (error instanceof LivePersonError) {
    const detail = scrub(error.message, secrets);
    if (error.status === 429) {
      return new BrokerError(429, 'upstream-rate-limited', 'LivePerson is rate-limiting requests; retry later', error.retryAfterSec ?? 1);
    }
    if (error.status === 401 || error.status === 403) {
      return new BrokerError(502, 'upstream-auth-failed', `LivePerson refused the broker's credentials (${error.status}${error.errorCode ? ` ${error.errorCode}` : ''})`);
    }
    if (error.status >= 400 && error.status < 500) {
      return new BrokerError(400, 'upstream-refused', `LivePerson refused the request (${error.status}): ${detail}`);
    }
    return new BrokerError(502, 'upstream-unavailable', `LivePerson is unavailable (${error.status || 'network'})`);
  }
  if (error instanceof CredentialsError) {
    return new BrokerError(502, 'upstream-auth-failed', 'The broker could not authenticate to LivePerson');
  }
  return new BrokerError(500, 'internal', 'Internal error');
}
