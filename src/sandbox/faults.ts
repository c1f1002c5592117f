/**
 * Injected faults (`POST /admin/faults`): the next `times` calls with a given name fail with an
 * HTTP status, close their socket with a code, and/or wait `delayMs` first. Faults on one call
 * are used up in the order they were added.
 *
 * `after: true` is the lost answer: the call is handled as usual (a message is stored, a token
 * minted) and then, instead of the answer, the connection is cut (HTTP: the socket is destroyed;
 * LivePerson socket: closed with `closeCode`, or without a close frame when none is given).
 */
export interface FaultSpec {
  call: string;
  status?: number;
  delayMs?: number;
  closeCode?: number;
  /** IdP only: the `internalErrorCode` to put in the error body. */
  internalErrorCode?: string;
  /** With status 429 (or 503): the `Retry-After` seconds to send (default 1 for 429, none for 503). */
  retryAfterSec?: number;
  /** Handle the call, then cut the connection instead of answering (the answer is lost). */
  after?: boolean;
  /**
   * LivePerson `lp.ws.ms.PublishEvent` only: the fault applies to publishes of this event type
   * (`ContentEvent`, `ChatStateEvent`, `AcceptStatusEvent`, ...) and lets the others through.
   */
  eventType?: string;
  /** `lp.webhook` only: the delivery is signed with a wrong key (a well-formed, wrong signature). */
  corruptSignature?: boolean;
  /** `lp.webhook` only: the delivery's request is sent twice (same bytes, same signature). */
  duplicate?: boolean;
}

/**
 * Outgoing Connector API webhook deliveries (LP §4.1 [SB]): one use per delivery attempt.
 * `delayMs` holds the attempt back on the sandbox clock; `eventType` names a webhook key.
 */
export const WEBHOOK_FAULT_CALL = 'lp.webhook';

export interface Fault extends FaultSpec {
  remaining: number;
}

export class FaultBook {
  private faults: Fault[] = [];

  /** Adds `times` (default 1) uses of a fault; `times: 0` clears every fault on that call. */
  add(spec: FaultSpec, times = 1): void {
    if (times === 0) {
      this.clear(spec.call);
      return;
    }
    this.faults.push({ ...spec, remaining: times });
  }

  clear(call?: string): void {
    this.faults = call === undefined ? [] : this.faults.filter((f) => f.call !== call);
  }

  /** Uses up one fault for `call` (of this event type, for faults that name one), if any is pending. */
  take(call: string, eventType?: string): Fault | undefined {
    const fault = this.faults.find((f) => f.call === call && (f.eventType === undefined || f.eventType === eventType));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return { ...fault };
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }
}

/** Parses a `POST /admin/faults` body; returns the error text or the spec and count. */
export function parseFaultRequest(input: unknown): { spec: FaultSpec; times: number } | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'body must be a JSON object';
  const body = input as Record<string, unknown>;
  const { call, status, times, delayMs, closeCode, internalErrorCode, retryAfterSec, after, eventType, corruptSignature, duplicate } = body;
  if (typeof call !== 'string' || call === '') return 'call must be a non-empty string';
  const spec: FaultSpec = { call };
  if (status !== undefined) {
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
      return 'status must be an HTTP error status (400-599)';
    }
    spec.status = status;
  }
  if (delayMs !== undefined) {
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) return 'delayMs must be >= 0';
    spec.delayMs = delayMs;
  }
  if (closeCode !== undefined) {
    if (!isSendableCloseCode(closeCode) && closeCode !== 1006) {
      return 'closeCode must be 1000-1014 (not 1004/1005), 1006 (drop without a close frame) or 3000-4999';
    }
    spec.closeCode = closeCode;
  }
  if (internalErrorCode !== undefined) {
    if (typeof internalErrorCode !== 'string') return 'internalErrorCode must be a string';
    spec.internalErrorCode = internalErrorCode;
  }
  if (retryAfterSec !== undefined) {
    if (typeof retryAfterSec !== 'number' || !Number.isInteger(retryAfterSec) || retryAfterSec < 0) return 'retryAfterSec must be an integer >= 0';
    if (spec.status !== 429 && spec.status !== 503) return 'retryAfterSec goes with status 429 or 503';
    spec.retryAfterSec = retryAfterSec;
  }
  if (after !== undefined) {
    if (typeof after !== 'boolean') return 'after must be a boolean';
    if (after && spec.status !== undefined) return 'after (cut instead of answering) does not go with a status';
    if (after) spec.after = true;
  }
  if (eventType !== undefined) {
    if (typeof eventType !== 'string' || eventType === '') return 'eventType must be a non-empty string';
    if (call !== 'lp.ws.ms.PublishEvent' && call !== WEBHOOK_FAULT_CALL) return `eventType goes with call lp.ws.ms.PublishEvent or ${WEBHOOK_FAULT_CALL}`;
    spec.eventType = eventType;
  }
  for (const [name, value] of [['corruptSignature', corruptSignature], ['duplicate', duplicate]] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'boolean') return `${name} must be a boolean`;
    if (call !== WEBHOOK_FAULT_CALL) return `${name} goes with call ${WEBHOOK_FAULT_CALL}`;
    if (value) spec[name] = true;
  }
  if (call === WEBHOOK_FAULT_CALL && (spec.status !== undefined || spec.closeCode !== undefined || spec.after)) {
    return `${WEBHOOK_FAULT_CALL} takes delayMs, corruptSignature, duplicate (and eventType) only`;
  }
  let count = 1;
  if (times !== undefined) {
    if (typeof times !== 'number' || !Number.isInteger(times) || times < 0) return 'times must be an integer >= 0';
    count = times;
  }
  if (
    count > 0 &&
    spec.status === undefined &&
    spec.delayMs === undefined &&
    spec.closeCode === undefined &&
    !spec.after &&
    !spec.corruptSignature &&
    !spec.duplicate
  ) {
    return 'give at least one of status, delayMs, closeCode, after (lp.webhook: delayMs, corruptSignature, duplicate)';
  }
  return { spec, times: count };
}

/** The Retry-After header a fault's answer carries, if any. */
export function retryAfterHeader(fault: Pick<FaultSpec, 'status' | 'retryAfterSec'>): Record<string, string> {
  if (fault.retryAfterSec !== undefined) return { 'Retry-After': String(fault.retryAfterSec) };
  return fault.status === 429 ? { 'Retry-After': '1' } : {};
}

/** Close codes a server may put in a close frame (RFC 6455 §7.4; 1006 means "no frame"). */
export function isSendableCloseCode(code: unknown): code is number {
  if (typeof code !== 'number' || !Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
