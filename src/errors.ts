/**
 * Every failure GuestChat reports carries one of these reason codes. This is the one list:
 * the `error` event, console messages and UI states all name a code from here, so a site owner
 * can look a code up in the README and a test can assert on it.
 *
 * This module is a leaf (it imports nothing) so the loader can use it without weight.
 */
export const REASONS = [
  // configuration (script tag data-* attributes)
  'config-missing-adapter',
  'config-bad-adapter',
  'config-missing-account',
  'config-bad-account',
  'config-missing-connector-id',
  'config-bad-connector-id',
  'config-bad-domain-api',
  'config-missing-scrt-url',
  'config-bad-scrt-url',
  'config-missing-org-id',
  'config-bad-org-id',
  'config-missing-deployment',
  'config-bad-deployment',
  'config-missing-broker-url',
  'config-bad-broker-url',
  'config-bad-option',
  // service discovery and tokens
  'domain-lookup-failed',
  'token-issue-refused',
  'token-refresh-refused',
  'token-exchange-refused',
  'identity-replaced',
  // transport and conversation
  'network',
  'server-error',
  'rate-limited',
  'auth-rejected',
  'connection-lost',
  'request-timeout',
  'request-refused',
  'conversation-unavailable',
  'bad-server-data',
  // storage
  'storage-unavailable',
  // anything else
  'internal',
] as const;

export type ReasonCode = (typeof REASONS)[number];

/** An error value with a reason code. `status` is the HTTP status or socket close code, when one exists. */
export class GuestChatError extends Error {
  declare readonly reason: ReasonCode;
  declare readonly status: number | undefined;
  /** LivePerson `internalErrorCode`, Salesforce `code`, ... when the server sent one. */
  declare readonly serverCode: string | undefined;
  /** Seconds the server asked us to wait (Retry-After), when it did. */
  declare readonly retryAfterSec: number | undefined;

  constructor(
    reason: ReasonCode,
    message: string,
    { cause, ...details }: { status?: number; serverCode?: string; retryAfterSec?: number; cause?: unknown } = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    // The details given, as own fields (an absent one reads as undefined all the same).
    Object.assign(this, { name: 'GuestChatError', reason, ...details });
  }
}

export function isGuestChatError(value: unknown): value is GuestChatError {
  return value instanceof GuestChatError;
}

/** Wrap anything thrown into a GuestChatError, keeping one that already is. */
export function toGuestChatError(value: unknown, fallback: ReasonCode = 'internal'): GuestChatError {
  if (value instanceof GuestChatError) return value;
  if (value instanceof TypeError) return new GuestChatError('network', 'Network request failed', { cause: value });
  const message = value instanceof Error ? value.message : String(value);
  return new GuestChatError(fallback, message, { cause: value });
}
