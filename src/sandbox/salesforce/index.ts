/**
 * The Salesforce face of the sandbox (SF contract, protocols/salesforce.md): guest and
 * continuation tokens, the v2 conversation REST API and the event stream, on the sandbox's one
 * origin, plus its admin extras:
 * - `GET|POST /admin/sf/options` `{ autoStartSession?, strictOrgId? }` (§2.8, §5.1 options);
 * - `POST /admin/sf/emit` `{ conversationId, event, entryType?, payload? }` puts an event of any
 *   name (e.g. `CONVERSATION_FUTURE_THING`) on the identity's stream, with an id; with
 *   `{ conversationId, event, data }` the event's `data` line is that text as is (malformed data).
 */
import type { TokenListing } from '../admin.ts';
import type { SandboxContext } from '../context.ts';
import { isRecord, readJson, sendJson, type RouteContext, type Router } from '../http.ts';
import { SalesforceConversations, type SfOptions } from './conversations.ts';
import { addSalesforceRoutes } from './rest.ts';
import { IdentityBook } from './stream.ts';
import { SalesforceTokens } from './tokens.ts';

export { SALESFORCE_CORS } from './rest.ts';
export { EVENT_LOG_LIMIT } from './stream.ts';

export interface SalesforceTokenListing extends TokenListing {
  adapter: 'salesforce';
  subject: string;
  tenant: string;
  deployment: string;
  firstIssuedAt: number;
  /** A guest token has no refresh: its window ends when it expires (DESIGN.md). */
  windowEndsAt: number;
  externalExpiresAt: number;
  internalExpiresAt: number;
  expiresAt: number;
  revoked: boolean;
  liveStreams: number;
}

export class SalesforceFace {
  readonly tokens: SalesforceTokens;
  readonly book: IdentityBook;
  readonly conversations: SalesforceConversations;

  constructor(readonly sandbox: SandboxContext) {
    this.tokens = new SalesforceTokens(sandbox);
    this.book = new IdentityBook(sandbox);
    this.conversations = new SalesforceConversations(sandbox, this.book);
    // [SB] A reset is a restart to the client: live streams are cut, identities forgotten.
    sandbox.onReset(() => {
      this.drop();
      this.book.clear();
    });
  }

  addRoutes(router: Router): void {
    addSalesforceRoutes(router, { sandbox: this.sandbox, tokens: this.tokens, book: this.book, conversations: this.conversations });
    this.addAdminRoutes(router);
  }

  /**
   * Ends every live stream: abruptly (the socket is destroyed, as a network drop) unless
   * `closeCode` is 1000, which ends them cleanly. SSE has no close codes; that is the mapping.
   */
  drop(closeCode?: number): number {
    const live = this.book.allStreams();
    for (const stream of live) {
      if (closeCode === 1000) stream.end();
      else stream.cut();
    }
    return live.length;
  }

  /** Revokes identities (one by subject, or all): their tokens get 401, their streams end. */
  revoke(subject?: string): string[] {
    const identities = this.book.list().filter((i) => subject === undefined || i.subject === subject);
    for (const identity of identities) {
      this.tokens.revoke(identity.subject);
      for (const stream of [...identity.streams]) stream.end();
    }
    return identities.map((i) => i.subject);
  }

  listTokens(): SalesforceTokenListing[] {
    return this.book.list().map((i) => ({
      adapter: 'salesforce',
      subject: i.subject,
      tenant: i.orgId,
      deployment: i.esDeveloperName,
      firstIssuedAt: i.firstIssuedAt,
      windowEndsAt: i.expiresAt,
      externalExpiresAt: i.expiresAt,
      internalExpiresAt: i.expiresAt,
      expiresAt: i.expiresAt,
      revoked: this.tokens.isRevoked(i.subject),
      liveStreams: i.streams.size,
    }));
  }

  get liveStreams(): number {
    return this.book.allStreams().length;
  }

  close(): void {
    this.drop();
  }

  private addAdminRoutes(router: Router): void {
    const options = this.conversations.options;
    router.add('GET', /^\/admin\/sf\/options$/, ({ res }) => sendJson(res, 200, { ...options }));
    router.add('POST', /^\/admin\/sf\/options$/, (ctx) =>
      withBody(ctx, (body) => {
        const update: Partial<SfOptions> = {};
        for (const [key, value] of Object.entries(body)) {
          if (key !== 'autoStartSession' && key !== 'strictOrgId') return sendJson(ctx.res, 400, { error: `unknown option "${key}" (known: autoStartSession, strictOrgId)` });
          if (typeof value !== 'boolean') return sendJson(ctx.res, 400, { error: `${key} must be a boolean` });
          update[key] = value;
        }
        Object.assign(options, update);
        sendJson(ctx.res, 200, { ...options });
      }),
    );
    router.add('POST', /^\/admin\/sf\/emit$/, (ctx) =>
      withBody(ctx, (body) => {
        const { conversationId, event, entryType, payload, data } = body;
        if (typeof conversationId !== 'string') return sendJson(ctx.res, 400, { error: 'conversationId must be a string' });
        if (typeof event !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(event)) return sendJson(ctx.res, 400, { error: 'event must be a name of letters, digits, _ . -' });
        if (entryType !== undefined && typeof entryType !== 'string') return sendJson(ctx.res, 400, { error: 'entryType must be a string' });
        if (payload !== undefined && !isRecord(payload)) return sendJson(ctx.res, 400, { error: 'payload must be an object' });
        if (data !== undefined && (typeof data !== 'string' || /[\r\n]/.test(data))) return sendJson(ctx.res, 400, { error: 'data must be a one-line string' });
        if (data !== undefined && (entryType !== undefined || payload !== undefined)) return sendJson(ctx.res, 400, { error: 'data replaces entryType and payload' });
        const state = this.conversations.get(conversationId);
        if (!state) return sendJson(ctx.res, 404, { error: 'Unknown Salesforce conversation' });
        if (typeof data === 'string') {
          this.conversations.emitRaw(state, event, data);
          return sendJson(ctx.res, 200, { eventId: this.book.get(state.owner.sub)?.head ?? null });
        }
        const entry = this.conversations.emitUnknown(state, event, entryType ?? pascalEntryType(event), payload ?? {});
        sendJson(ctx.res, 200, { identifier: entry.identifier, eventId: this.book.get(state.owner.sub)?.head ?? null });
      }),
    );
  }
}

/** `CONVERSATION_FUTURE_THING` → `FutureThing`. */
function pascalEntryType(event: string): string {
  return event
    .replace(/^CONVERSATION_/, '')
    .toLowerCase()
    .split(/[_.-]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

async function withBody(ctx: RouteContext, handle: (body: Record<string, unknown>) => void): Promise<void> {
  const parsed = await readJson(ctx.req);
  if (!parsed.ok) return sendJson(ctx.res, 400, { error: parsed.error });
  const body = parsed.empty ? {} : parsed.value;
  if (!isRecord(body)) return sendJson(ctx.res, 400, { error: 'body must be a JSON object' });
  handle(body);
}
