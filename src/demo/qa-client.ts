/**
 * The sandbox's admin and agent APIs as seen from the demo page (a different origin: real CORS).
 * Every call answers a value, never throws: the panel must keep working, and keep polling, while
 * the sandbox is down.
 */
export type Result<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status?: number; error: string; unreachable: boolean };

export interface FaultRequest {
  call: string;
  status?: number;
  times?: number;
  delayMs?: number;
  closeCode?: number;
  internalErrorCode?: string;
}

export interface LifetimesRequest {
  lpTokenMs?: number;
  lpRefreshWindowMs?: number;
  lpInternalTokenMs?: number;
  sfTokenMs?: number;
}

export interface AgentMessage {
  id: string;
  from: string;
  text: string;
  at: number;
}

export interface AgentConversation {
  id: string;
  adapter: string;
  consumerId: string;
  state: string;
  messages: AgentMessage[];
}

export interface ServerClock {
  now: number;
  offsetMs: number;
}

const TIMEOUT_MS = 5_000;
const PROBE_MS = 3_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export class SandboxClient {
  private reachable: boolean | undefined;
  private lastProbeAt = 0;
  private readonly listeners = new Set<(reachable: boolean) => void>();

  constructor(readonly origin: string) {}

  /** Called whenever reachability changes (first answer included). */
  onReachability(listener: (reachable: boolean) => void): () => void {
    this.listeners.add(listener);
    if (this.reachable !== undefined) listener(this.reachable);
    return () => this.listeners.delete(listener);
  }

  get isReachable(): boolean | undefined {
    return this.reachable;
  }

  private setReachable(value: boolean): void {
    if (this.reachable === value) return;
    this.reachable = value;
    for (const listener of this.listeners) listener(value);
  }

  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Result<unknown>> {
    // While the sandbox is down, background polls (GETs) share one probe every few seconds
    // instead of each failing on its own; actions (POSTs) always try.
    const now = Date.now();
    if (method === 'GET' && this.reachable === false && now - this.lastProbeAt < PROBE_MS) {
      return { ok: false, error: 'sandbox unreachable', unreachable: true };
    }
    if (method === 'GET' && this.reachable === false) this.lastProbeAt = now;
    let response: Response;
    try {
      response = await fetch(this.origin + path, {
        method,
        headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        cache: 'no-store',
      });
    } catch (error) {
      if (this.reachable !== false) this.lastProbeAt = Date.now();
      this.setReachable(false);
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      return { ok: false, error: timedOut ? 'sandbox did not answer in 5 s' : 'sandbox unreachable', unreachable: true };
    }
    this.setReachable(true);
    const text = await response.text().catch(() => '');
    let data: unknown = text;
    if (text && (response.headers.get('Content-Type') ?? '').includes('json')) {
      try {
        data = JSON.parse(text) as unknown;
      } catch {
        data = text;
      }
    }
    if (!response.ok) {
      const message = isObject(data) ? str(data.error, str(data.message)) : str(data);
      return { ok: false, status: response.status, error: `${response.status} ${message || response.statusText}`.trim(), unreachable: false };
    }
    return { ok: true, status: response.status, data };
  }

  // ---- admin ----

  async clock(): Promise<Result<ServerClock>> {
    const result = await this.request('GET', '/admin/clock');
    if (!result.ok) return result;
    const data = result.data;
    const now = isObject(data) ? num(data.now) : undefined;
    if (now === undefined || !isObject(data)) return { ok: false, status: result.status, error: 'unexpected /admin/clock answer', unreachable: false };
    return { ok: true, status: result.status, data: { now, offsetMs: num(data.offsetMs) ?? 0 } };
  }

  advanceClock(advanceMs: number): Promise<Result<unknown>> {
    return this.request('POST', '/admin/clock', { advanceMs: Math.max(0, Math.round(advanceMs)) });
  }

  setLifetimes(update: LifetimesRequest): Promise<Result<unknown>> {
    return this.request('POST', '/admin/lifetimes', update);
  }

  async calls(): Promise<Result<Record<string, number>>> {
    const result = await this.request('GET', '/admin/calls');
    if (!result.ok) return result;
    const counts: Record<string, number> = {};
    const source = isObject(result.data) && isObject(result.data.calls) ? result.data.calls : result.data;
    if (isObject(source)) {
      for (const [name, value] of Object.entries(source)) {
        const n = num(value);
        if (n !== undefined) counts[name] = n;
      }
    }
    return { ok: true, status: result.status, data: counts };
  }

  injectFault(fault: FaultRequest): Promise<Result<unknown>> {
    return this.request('POST', '/admin/faults', fault);
  }

  drop(options: { adapter?: string; closeCode?: number }): Promise<Result<unknown>> {
    return this.request('POST', '/admin/drop', options);
  }

  /** Optional endpoint: refuse this subject's tokens from now on (all identities when omitted). */
  revoke(subject?: string): Promise<Result<unknown>> {
    return this.request('POST', '/admin/revoke', subject === undefined ? {} : { subject });
  }

  reset(): Promise<Result<unknown>> {
    return this.request('POST', '/admin/reset', {});
  }

  /** Optional endpoint: server-side identities. 404 means the sandbox does not offer it. */
  async tokens(): Promise<Result<Record<string, unknown>[]>> {
    const result = await this.request('GET', '/admin/tokens');
    if (!result.ok) return result;
    const data = result.data;
    const list = Array.isArray(data)
      ? data
      : isObject(data)
        ? ([data.identities, data.tokens, data.liveperson, data.salesforce].find(Array.isArray) ?? flattenArrays(data))
        : [];
    return { ok: true, status: result.status, data: (list as unknown[]).filter(isObject) };
  }

  // ---- agent ----

  async conversations(): Promise<Result<AgentConversation[]>> {
    const result = await this.request('GET', '/agent/conversations');
    if (!result.ok) return result;
    const raw = Array.isArray(result.data) ? result.data : isObject(result.data) && Array.isArray(result.data.conversations) ? result.data.conversations : [];
    const conversations: AgentConversation[] = [];
    for (const item of raw as unknown[]) {
      if (!isObject(item) || !str(item.id)) continue;
      const messages: AgentMessage[] = [];
      if (Array.isArray(item.messages)) {
        for (const m of item.messages as unknown[]) {
          if (!isObject(m)) continue;
          messages.push({ id: str(m.id), from: str(m.from, '?'), text: str(m.text), at: num(m.at) ?? 0 });
        }
      }
      conversations.push({ id: str(item.id), adapter: str(item.adapter), consumerId: str(item.consumerId), state: str(item.state), messages });
    }
    return { ok: true, status: result.status, data: conversations };
  }

  agentSend(id: string, text: string): Promise<Result<unknown>> {
    return this.request('POST', `/agent/conversations/${encodeURIComponent(id)}/messages`, { text });
  }

  agentTyping(id: string, on: boolean): Promise<Result<unknown>> {
    return this.request('POST', `/agent/conversations/${encodeURIComponent(id)}/typing`, { on });
  }

  agentClose(id: string): Promise<Result<unknown>> {
    return this.request('POST', `/agent/conversations/${encodeURIComponent(id)}/close`, {});
  }

  /**
   * Is the echo bot offered? `GET /agent/echo` answers its state where implemented; a 405 means
   * the route exists for POST only; a 404 means no echo bot. Answers undefined when unknown.
   */
  async echoState(): Promise<{ supported: boolean; on?: boolean } | undefined> {
    const result = await this.request('GET', '/agent/echo');
    if (result.ok) {
      const on = isObject(result.data) && typeof result.data.on === 'boolean' ? result.data.on : undefined;
      return on === undefined ? { supported: true } : { supported: true, on };
    }
    if (result.unreachable) return undefined;
    return { supported: result.status !== 404 };
  }

  setEcho(on: boolean): Promise<Result<unknown>> {
    return this.request('POST', '/agent/echo', { on });
  }
}

function flattenArrays(data: Record<string, unknown>): unknown[] {
  return Object.values(data).flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : []));
}
