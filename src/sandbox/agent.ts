/**
 * The agent face: GuestChat's own agent API (DESIGN.md "Public contracts") and the console page,
 * driving the one simulated agent of the core.
 *
 * Assignment [SB]: the simulated agent joins a conversation the first time the agent side acts
 * on it (a message, typing, an accept, an explicit join, or the echo bot replying), so a new
 * conversation shows the consumer alone until then, as a queued LivePerson conversation does.
 *
 * Vendors whose conversations behave differently plug in `AgentVendorHooks`: Salesforce refuses
 * agent actions while the messaging session is ended, and its agent "close" ends the messaging
 * session instead of the conversation (SF contract §3.4: only the end user closes).
 */
import type { SandboxContext } from './context.ts';
import { CoreError, type AcceptStatus, type Conversation, type Metadata, type StoredEvent, type StoredEventBody } from './core.ts';
import { AGENT_CONSOLE_HTML } from './agent-console.ts';
import { isRecord, readJson, sendHtml, sendJson, type RouteContext, type Router } from './http.ts';

export interface AgentMessage {
  id: string;
  from: 'consumer' | 'agent' | 'system';
  text: string;
  at: number;
}

export interface AgentConversation {
  id: string;
  adapter: Conversation['adapter'];
  consumerId: string;
  state: 'OPEN' | 'CLOSE';
  messages: AgentMessage[];
  /** Vendor extras, e.g. Salesforce `sessionEnded`. */
  [extra: string]: unknown;
}

/** How one vendor's conversations differ for the agent; every hook is optional. */
export interface AgentVendorHooks {
  /** Throws a CoreError when the agent may not act on the conversation now. */
  beforeAgentAction?(conversation: Conversation): void;
  /** The agent's "close" (default: close the conversation in the core). */
  close?(conversation: Conversation): void;
  /** Ends the messaging session (vendors that have one). */
  endSession?(conversation: Conversation): void;
  /** Extra fields for the agent listing and detail. */
  describe?(conversation: Conversation): Record<string, unknown>;
}

/** How long the echo bot "thinks" before it answers. */
const ECHO_DELAY_MS = 150;

export class AgentDesk {
  private echo = false;
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private readonly vendors = new Map<Conversation['adapter'], AgentVendorHooks>();

  constructor(private readonly sandbox: SandboxContext) {
    sandbox.core.subscribe((change) => {
      if (change.kind === 'event' && this.echo) this.echoBack(change.conversation, change.event);
    });
    sandbox.onReset(() => {
      this.echo = false;
      for (const timer of this.pending) clearTimeout(timer);
      this.pending.clear();
    });
  }

  get echoOn(): boolean {
    return this.echo;
  }

  setEcho(on: boolean): void {
    this.echo = on;
  }

  useVendor(adapter: Conversation['adapter'], hooks: AgentVendorHooks): void {
    this.vendors.set(adapter, hooks);
  }

  list(): AgentConversation[] {
    return this.sandbox.core.listConversations().map((c) => this.describe(c));
  }

  /** The listing shape of one conversation, with the vendor's extras. */
  describe(conversation: Conversation): AgentConversation {
    return { ...toAgentConversation(conversation), ...this.vendors.get(conversation.adapter)?.describe?.(conversation) };
  }

  join(conversationId: string): void {
    this.checkAgentAction(conversationId);
    this.sandbox.core.assignAgent(conversationId);
  }

  /** Joins if needed, then publishes a ContentEvent (or RichContentEvent) as the assigned agent. */
  send(conversationId: string, event: StoredEventBody, metadata?: Metadata): StoredEvent {
    this.checkAgentAction(conversationId);
    const agent = this.sandbox.core.assignAgent(conversationId);
    return this.sandbox.core.publish(conversationId, conversationId, agent, event, metadata ? { metadata } : {});
  }

  typing(conversationId: string, on: boolean): void {
    this.checkAgentAction(conversationId);
    const agent = this.sandbox.core.assignAgent(conversationId);
    this.sandbox.core.setChatState(conversationId, conversationId, agent, on ? 'COMPOSING' : 'ACTIVE');
  }

  /** Delivery/read ticks; by default for every consumer message of the MAIN dialog. */
  accept(conversationId: string, status: AcceptStatus, sequenceList?: number[]): StoredEvent {
    const conversation = this.sandbox.core.getConversation(conversationId);
    const sequences =
      sequenceList ??
      (conversation?.dialogs[0]?.events ?? [])
        .filter((e) => e.originator.role === 'CONSUMER' && e.event.type !== 'AcceptStatusEvent')
        .map((e) => e.sequence);
    if (sequences.length === 0) throw new CoreError('invalid', 'No consumer messages to accept');
    this.checkAgentAction(conversationId);
    const agent = this.sandbox.core.assignAgent(conversationId);
    return this.sandbox.core.publish(conversationId, conversationId, agent, { type: 'AcceptStatusEvent', status, sequenceList: sequences });
  }

  close(conversationId: string): void {
    const conversation = this.require(conversationId);
    const hook = this.vendors.get(conversation.adapter)?.close;
    if (hook) hook(conversation);
    else this.sandbox.core.closeConversation(conversationId, 'AGENT');
  }

  /** Ends the messaging session, for vendors that have one (Salesforce). */
  endSession(conversationId: string): void {
    const conversation = this.require(conversationId);
    const hook = this.vendors.get(conversation.adapter)?.endSession;
    if (!hook) throw new CoreError('invalid', `A ${conversation.adapter} conversation has no messaging session to end`);
    hook(conversation);
  }

  private require(conversationId: string): Conversation {
    const conversation = this.sandbox.core.getConversation(conversationId);
    if (!conversation) throw new CoreError('not-found', `Unknown conversation ${conversationId}`);
    return conversation;
  }

  private checkAgentAction(conversationId: string): void {
    const conversation = this.sandbox.core.getConversation(conversationId);
    if (conversation) this.vendors.get(conversation.adapter)?.beforeAgentAction?.(conversation);
  }

  private echoBack(conversation: Conversation, event: StoredEvent): void {
    if (event.originator.role !== 'CONSUMER' || event.event.type !== 'ContentEvent') return;
    const text = event.event.message;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      if (!this.echo || conversation.stage !== 'OPEN') return;
      try {
        this.send(conversation.id, { type: 'ContentEvent', contentType: 'text/plain', message: `Echo: ${text}` });
      } catch {
        // Closed or forgotten in the meantime: nothing to answer.
      }
    }, ECHO_DELAY_MS);
    this.pending.add(timer);
  }
}

export function toAgentConversation(conversation: Conversation): AgentConversation {
  const messages: AgentMessage[] = [];
  for (const dialog of conversation.dialogs) {
    for (const e of dialog.events) {
      // Text messages only: content events with a string message.
      if (e.event.type !== 'ContentEvent') continue;
      messages.push({
        id: e.clientMessageId ?? `${e.dialogId}:${e.sequence}`,
        from: e.originator.role === 'CONSUMER' ? 'consumer' : e.originator.role === 'ASSIGNED_AGENT' ? 'agent' : 'system',
        text: e.event.message,
        at: e.serverTimestamp,
      });
    }
  }
  messages.sort((a, b) => a.at - b.at);
  return { id: conversation.id, adapter: conversation.adapter, consumerId: conversation.consumerId, state: conversation.stage, messages };
}

export function addAgentRoutes(router: Router, sandbox: SandboxContext, desk: AgentDesk): void {
  const base = '^/agent/conversations/([^/]+)';
  router.add('GET', /^\/agent\/?$/, ({ res }) => sendHtml(res, AGENT_CONSOLE_HTML));
  router.add('GET', /^\/agent\/conversations$/, ({ res }) => sendJson(res, 200, desk.list()));
  router.add('GET', new RegExp(`${base}$`), ({ res, params }) => {
    const conversation = sandbox.core.getConversation(params[0] ?? '');
    if (!conversation) return sendJson(res, 404, { error: 'Unknown conversation' });
    // The console's detail view: the listing shape plus live state that is not a message.
    const consumerState = conversation.chatStates.get(conversation.consumerId);
    sendJson(res, 200, {
      ...desk.describe(conversation),
      participants: conversation.participants,
      closeReason: conversation.closeReason ?? null,
      csat: conversation.csat ?? null,
      consumerTyping: consumerState === 'COMPOSING',
    });
  });
  router.add('POST', new RegExp(`${base}/messages$`), (ctx) =>
    withBody(ctx, (body) => {
      const id = ctx.params[0] ?? '';
      const metadata = body.metadata;
      if (metadata !== undefined && !(Array.isArray(metadata) && metadata.every((m) => isRecord(m) && typeof m.type === 'string'))) {
        return badRequest(ctx, 'metadata must be an array of objects with a string type');
      }
      let event: StoredEventBody;
      if (body.richContent !== undefined) {
        if (!isRecord(body.richContent)) return badRequest(ctx, 'richContent must be an object');
        event = { type: 'RichContentEvent', content: body.richContent };
      } else {
        if (typeof body.text !== 'string' || body.text.trim() === '') return badRequest(ctx, 'text must be a non-empty string');
        event = { type: 'ContentEvent', contentType: 'text/plain', message: body.text };
        if (body.quickReplies !== undefined) {
          if (!isRecord(body.quickReplies)) return badRequest(ctx, 'quickReplies must be an object');
          event.quickReplies = body.quickReplies;
        }
      }
      const stored = desk.send(id, event, metadata as Metadata | undefined);
      sendJson(ctx.res, 200, { id: `${stored.dialogId}:${stored.sequence}`, sequence: stored.sequence, at: stored.serverTimestamp });
    }),
  );
  router.add('POST', new RegExp(`${base}/typing$`), (ctx) =>
    withBody(ctx, (body) => {
      if (typeof body.on !== 'boolean') return badRequest(ctx, 'on must be a boolean');
      desk.typing(ctx.params[0] ?? '', body.on);
      sendJson(ctx.res, 200, { on: body.on });
    }),
  );
  router.add('POST', new RegExp(`${base}/accept$`), (ctx) =>
    withBody(ctx, (body) => {
      const status = body.status ?? 'READ';
      if (status !== 'ACCEPT' && status !== 'READ') return badRequest(ctx, 'status must be ACCEPT or READ');
      const list = body.sequenceList;
      if (list !== undefined && !(Array.isArray(list) && list.every((s) => Number.isInteger(s)))) {
        return badRequest(ctx, 'sequenceList must be an array of integers');
      }
      const stored = desk.accept(ctx.params[0] ?? '', status, list as number[] | undefined);
      sendJson(ctx.res, 200, { sequence: stored.sequence });
    }),
  );
  router.add('POST', new RegExp(`${base}/join$`), (ctx) =>
    withBody(ctx, () => {
      desk.join(ctx.params[0] ?? '');
      sendJson(ctx.res, 200, { ok: true });
    }),
  );
  router.add('POST', new RegExp(`${base}/close$`), (ctx) =>
    withBody(ctx, () => {
      desk.close(ctx.params[0] ?? '');
      sendJson(ctx.res, 200, { ok: true });
    }),
  );
  router.add('POST', new RegExp(`${base}/end-session$`), (ctx) =>
    withBody(ctx, () => {
      desk.endSession(ctx.params[0] ?? '');
      sendJson(ctx.res, 200, { ok: true });
    }),
  );
  router.add('GET', /^\/agent\/echo$/, ({ res }) => sendJson(res, 200, { on: desk.echoOn }));
  router.add('POST', /^\/agent\/echo$/, (ctx) =>
    withBody(ctx, (body) => {
      if (typeof body.on !== 'boolean') return badRequest(ctx, 'on must be a boolean');
      desk.setEcho(body.on);
      sendJson(ctx.res, 200, { on: desk.echoOn });
    }),
  );
}

function badRequest(ctx: RouteContext, error: string): void {
  sendJson(ctx.res, 400, { error });
}

/** Parses an optional JSON object body and maps core errors: 404 unknown, 409 closed, 400 invalid. */
async function withBody(ctx: RouteContext, handle: (body: Record<string, unknown>) => void): Promise<void> {
  const parsed = await readJson(ctx.req);
  if (!parsed.ok) return badRequest(ctx, parsed.error);
  const body = parsed.empty ? {} : parsed.value;
  if (!isRecord(body)) return badRequest(ctx, 'body must be a JSON object');
  try {
    handle(body);
  } catch (error) {
    if (!(error instanceof CoreError)) throw error;
    const status = error.code === 'not-found' ? 404 : error.code === 'closed' ? 409 : 400;
    sendJson(ctx.res, status, { error: error.message });
  }
}
