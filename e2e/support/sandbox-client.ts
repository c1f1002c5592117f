/**
 * What a test sees of the sandbox: its admin and agent APIs over HTTP, exactly as QA uses them.
 */
export interface AgentMessage {
  id: string;
  from: 'consumer' | 'agent' | 'system';
  text: string;
  at: number;
}

export interface AgentConversation {
  id: string;
  adapter: 'liveperson' | 'salesforce';
  consumerId: string;
  state: 'OPEN' | 'CLOSE';
  messages: AgentMessage[];
}

export class SandboxClient {
  constructor(readonly url: string) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status} ${await response.text()}`);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  reset() {
    return this.call<void>('POST', '/admin/reset', {});
  }
  calls() {
    return this.call<Record<string, number>>('GET', '/admin/calls');
  }
  advanceClock(advanceMs: number) {
    return this.call<void>('POST', '/admin/clock', { advanceMs });
  }
  setLifetimes(lifetimes: Partial<Record<'lpTokenMs' | 'lpRefreshWindowMs' | 'lpInternalTokenMs' | 'sfTokenMs', number>>) {
    return this.call<void>('POST', '/admin/lifetimes', lifetimes);
  }
  /**
   * `after: true`: the call is handled, then the connection is cut instead of answering (a lost
   * answer); `retryAfterSec` sets the Retry-After of a 429/503; `times: 0` clears the call's faults.
   */
  fault(fault: {
    call: string;
    status?: number;
    times?: number;
    delayMs?: number;
    closeCode?: number;
    after?: boolean;
    retryAfterSec?: number;
    /** LivePerson `lp.ws.ms.PublishEvent` only: fault only publishes of this event type. */
    eventType?: string;
  }) {
    return this.call<void>('POST', '/admin/faults', fault);
  }
  clearFaults() {
    return fetch(`${this.url}/admin/faults`, { method: 'DELETE' }).then(() => undefined);
  }
  /** When each call happened (sandbox clock `at`, real time `wallAt`), oldest first. */
  callLog(call?: string) {
    return this.call<{ call: string; at: number; wallAt: number }[]>('GET', `/admin/calls/log${call ? `?call=${encodeURIComponent(call)}` : ''}`);
  }
  /** LivePerson: one raw text frame to every live consumer socket; answers how many got it. */
  lpEmit(frame: string) {
    return this.call<{ sent: number }>('POST', '/admin/lp/emit', { frame });
  }
  /** Salesforce: an event on the conversation's identity stream (any name; `data` verbatim if given). */
  sfEmit(body: { conversationId: string; event: string; data?: string; entryType?: string; payload?: Record<string, unknown> }) {
    return this.call<{ eventId: number | null }>('POST', '/admin/sf/emit', body);
  }
  drop(options: { adapter?: string; closeCode?: number } = {}) {
    return this.call<void>('POST', '/admin/drop', options);
  }
  conversations() {
    return this.call<AgentConversation[]>('GET', '/agent/conversations');
  }
  agentSay(conversationId: string, text: string) {
    return this.call<void>('POST', `/agent/conversations/${encodeURIComponent(conversationId)}/messages`, { text });
  }
  agentTyping(conversationId: string, on: boolean) {
    return this.call<void>('POST', `/agent/conversations/${encodeURIComponent(conversationId)}/typing`, { on });
  }
  /** Salesforce: the agent side ends the messaging session; the conversation stays open. */
  endSession(conversationId: string) {
    return this.call<void>('POST', `/agent/conversations/${encodeURIComponent(conversationId)}/end-session`, {});
  }
  agentClose(conversationId: string) {
    return this.call<void>('POST', `/agent/conversations/${encodeURIComponent(conversationId)}/close`, {});
  }

  /** The only open conversation (tests drive one visitor at a time). */
  async openConversation(): Promise<AgentConversation> {
    const open = (await this.conversations()).filter((c) => c.state === 'OPEN');
    if (open.length !== 1) throw new Error(`expected one open conversation, found ${open.length}`);
    return open[0]!;
  }
}

/** Counts that changed between two snapshots of /admin/calls. */
export function callsSince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const delta = count - (before[name] ?? 0);
    if (delta) diff[name] = delta;
  }
  return diff;
}
