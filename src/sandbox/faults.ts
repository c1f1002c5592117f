/**
 * Injected faults (`POST /admin/faults`): the next `times` calls with a given name fail with an
 * HTTP status, close their socket with a code, and/or wait `delayMs` first. Faults on one call
 * are used up in the order they were added.
 */
export interface FaultSpec {
  call: string;
  status?: number;
  delayMs?: number;
  closeCode?: number;
  /** IdP only: the `internalErrorCode` to put in the error body. */
  internalErrorCode?: string;
}

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

  /** Uses up one fault for `call`, if any is pending. */
  take(call: string): Fault | undefined {
    const fault = this.faults.find((f) => f.call === call);
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
  const { call, status, times, delayMs, closeCode, internalErrorCode } = body;
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
  let count = 1;
  if (times !== undefined) {
    if (typeof times !== 'number' || !Number.isInteger(times) || times < 0) return 'times must be an integer >= 0';
    count = times;
  }
  if (count > 0 && spec.status === undefined && spec.delayMs === undefined && spec.closeCode === undefined) {
    return 'give at least one of status, delayMs, closeCode';
  }
  return { spec, times: count };
}

/** Close codes a server may put in a close frame (RFC 6455 §7.4; 1006 means "no frame"). */
export function isSendableCloseCode(code: unknown): code is number {
  if (typeof code !== 'number' || !Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
