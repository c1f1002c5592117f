/**
 * HTTP pieces every vendor adapter shares: the fetch signature (injectable in tests), what the
 * callers classify an answer on, Retry-After, and which failures are worth another attempt.
 * Vendor-neutral; each vendor keeps its own request helper and error-body reading.
 */
import type { GuestChatError } from '../errors.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpAnswer {
  status: number;
  /** Parsed JSON body, or undefined when there was none, it was not JSON, or it was not read. */
  body: unknown;
  /** Seconds from Retry-After, when the header was present and readable (CORS may hide it). */
  retryAfterSec: number | undefined;
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
export function isTransient(error: GuestChatError): boolean {
  return error.reason === 'network' || error.reason === 'server-error' || error.reason === 'rate-limited';
}
