/**
 * The Salesforce v2 REST API (`/iamessage/api/v2`, SF contract §2) and the event stream
 * (`/eventrouter/v1/sse`, §3), with CORS exactly per §4 on every Salesforce path.
 *
 * Call names for `GET /admin/calls` and `POST /admin/faults`, counted once per actual request
 * (preflights never reach a handler): sf.token, sf.continuation, sf.conversation.create,
 * sf.conversation.list, sf.conversation.close, sf.session.end, sf.entries, sf.message,
 * sf.typing, sf.acknowledge, sf.file, sf.sse.connect.
 *
 * Order of checks on every call: count and fault, then the token (401), then the request (400),
 * then the conversation (404), then state (409/417).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { SandboxContext } from '../context.ts';
import { CoreError } from '../core.ts';
import { delay, retryAfterHeader, type Fault } from '../faults.ts';
import { isRecord, readJson, sendJson, type CorsPolicy, type RouteContext, type Router } from '../http.ts';
import { channelAddressFor, type AckType, type SalesforceConversations, type SfConversation } from './conversations.ts';
import type { IdentityBook } from './stream.ts';
import { isSfError, type SalesforceTokens, type SfClaims } from './tokens.ts';
import { LOWERCASE_UUID_V4, NOT_API_DEPLOYMENT, ORG_MISMATCH, faultError, restEntry, sfError, type SfEntry, type SfError } from './wire.ts';

/** §4: the known-good header set; the sandbox allows nothing more. */
export const SALESFORCE_CORS: CorsPolicy = {
  allowOrigin: '*',
  allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type', 'X-Org-Id', 'Last-Event-Id', 'Cache-Control', 'Accept'],
  exposeHeaders: ['Retry-After'],
};

const API = '^/iamessage/api/v2';
const CONVERSATION = `${API}/conversation/([^/]+)`;

/** §2.6/§2.7: limit default 20, clamped to 1..50. */
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 50;

/** [SB] Platforms a guest token may name. */
const PLATFORMS = ['Web', 'iOS', 'Android'];
const DEVELOPER_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const ORG_ID = /^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/;

export interface SalesforceApi {
  sandbox: SandboxContext;
  tokens: SalesforceTokens;
  book: IdentityBook;
  conversations: SalesforceConversations;
}

interface CallContext extends RouteContext {
  claims: SfClaims;
}

export function sendSfError(res: ServerResponse, error: SfError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, { message: error.message, code: error.code }, headers);
}

const badRequest = (message: string, code = 'INVALID_REQUEST'): SfError => sfError(400, message, code);
const NOT_FOUND = sfError(404, 'Conversation not found', 'NOT_FOUND');

/** Thrown by validation helpers inside a handler; answered by `call()`. */
class SfRequestError extends Error {
  constructor(readonly error: SfError) {
    super(error.message);
  }
}

function faultBody(status: number, _fault: Fault): { message: string; code: string } {
  return faultError(status);
}

export function addSalesforceRoutes(router: Router, api: SalesforceApi): void {
  const { sandbox, tokens, book, conversations } = api;

  /** Counts, applies faults, and answers validation and core errors in the Salesforce shape. */
  const guarded =
    (name: string, handler: (ctx: RouteContext) => Promise<void> | void) =>
    async (ctx: RouteContext): Promise<void> => {
      if (await sandbox.enterHttpCall(name, ctx.res, faultBody)) return;
      try {
        await handler(ctx);
      } catch (error) {
        if (error instanceof SfRequestError) return sendSfError(ctx.res, error.error);
        if (error instanceof CoreError) {
          const status = error.code === 'conflict' ? 409 : error.code === 'invalid' ? 400 : 404;
          return sendSfError(ctx.res, sfError(status, error.message, status === 409 ? 'CONFLICT' : status === 400 ? 'INVALID_REQUEST' : 'NOT_FOUND'));
        }
        throw error;
      }
    };
  /** `guarded`, then the Bearer token (401 before anything else is looked at). */
  const call = (name: string, handler: (ctx: CallContext) => Promise<void> | void) =>
    guarded(name, async (ctx) => {
      const claims = await tokens.verifyHeader(ctx.req.headers.authorization);
      if (isSfError(claims)) return sendSfError(ctx.res, claims);
      await handler({ ...ctx, claims });
    });
  const add = (method: 'GET' | 'POST' | 'DELETE', pattern: RegExp, handler: (ctx: RouteContext) => Promise<void>): void =>
    router.add(method, pattern, handler, SALESFORCE_CORS);

  /** An open conversation of the caller (writes): 404 for an unknown, foreign or closed one. */
  const openConversation = (ctx: CallContext): SfConversation => {
    const found = conversations.owned(ctx.params[0] ?? '', ctx.claims);
    if (!found || found.conversation.stage === 'CLOSE') throw new SfRequestError(NOT_FOUND);
    return found.state;
  };

  // §2.1 — no Authorization needed; one sent is ignored.
  add(
    'POST',
    new RegExp(`${API}/authorization/unauthenticated/access-token$`),
    guarded(
      'sf.token',
      async (ctx) => {
        const body = await jsonBody(ctx.req);
        const orgIdIn = requiredString(body, 'orgId');
        const esDeveloperName = requiredString(body, 'esDeveloperName');
        requiredString(body, 'capabilitiesVersion');
        const platform = requiredString(body, 'platform');
        if (!PLATFORMS.includes(platform)) throw new SfRequestError(badRequest(`platform must be one of ${PLATFORMS.join(', ')}`));
        const deviceId = optionalString(body, 'deviceId');
        if (body.context !== undefined && !isRecord(body.context)) throw new SfRequestError(badRequest('context must be an object'));
        // §5.1: 15 or 18 characters accepted; the first 15 are the org (case-sensitive).
        if (!ORG_ID.test(orgIdIn)) throw new SfRequestError(badRequest('orgId must be a 15- or 18-character org id', 'INVALID_ORG_ID'));
        const orgId = orgIdIn.slice(0, 15);
        const org = sandbox.tenants.salesforce.get(orgId);
        // §2.1 [SB]: an unknown org or deployment is a 400, not a 404.
        if (!org) throw new SfRequestError(badRequest(`Unknown orgId ${orgIdIn}`, 'INVALID_ORG_ID'));
        if (!DEVELOPER_NAME.test(esDeveloperName)) throw new SfRequestError(badRequest('esDeveloperName is not a valid API name', 'INVALID_DEPLOYMENT'));
        const deployment = org.deployments.get(esDeveloperName);
        if (!deployment) throw new SfRequestError(badRequest(`Unknown esDeveloperName ${esDeveloperName}`, 'INVALID_DEPLOYMENT'));
        if (deployment.deploymentType !== 'api') throw new SfRequestError(NOT_API_DEPLOYMENT);
        const issued = await tokens.issue(orgId, esDeveloperName, deviceId ?? randomUUID());
        const identity = book.ensure(issued.claims);
        sendJson(ctx.res, 200, tokenResponse(issued.token, String(identity.head), issued.claims, deployment.prechatFields ?? []));
      },
    ),
  );

  // §2.2
  add(
    'GET',
    new RegExp(`${API}/authorization/continuation-access-token$`),
    call('sf.continuation', async (ctx) => {
      const next = await tokens.continuation(ctx.claims);
      const identity = book.ensure(next.claims);
      const deployment = sandbox.tenants.salesforce.get(next.claims.orgId)?.deployments.get(next.claims.esDeveloperName);
      sendJson(ctx.res, 200, tokenResponse(next.token, String(identity.head), next.claims, deployment?.prechatFields ?? []));
    }),
  );

  // §2.3
  add(
    'POST',
    new RegExp(`${API}/conversation$`),
    call('sf.conversation.create', async (ctx) => {
      const body = await jsonBody(ctx.req);
      const conversationId = requiredString(body, 'conversationId');
      checkDeployment(sandbox, ctx.claims, requiredString(body, 'esDeveloperName'));
      if (!LOWERCASE_UUID_V4.test(conversationId)) throw new SfRequestError(badRequest('conversationId must be a lowercase UUID v4'));
      const routingAttributes = optionalRecord(body, 'routingAttributes') ?? {};
      if (sandbox.core.getConversation(conversationId)) throw new SfRequestError(sfError(409, `Conversation ${conversationId} already exists`, 'CONFLICT'));
      conversations.create(ctx.claims, conversationId, routingAttributes);
      // §2.3 [SB]: 201 with the id (Salesforce's sample ignores the body).
      sendJson(ctx.res, 201, { conversationId });
    }),
  );

  // §2.6
  add(
    'GET',
    new RegExp(`${API}/conversation/list$`),
    call('sf.conversation.list', (ctx) => {
      const includeClosed = ctx.url.searchParams.get('inclClosedConvs') === 'true';
      const limit = limitParam(ctx.url);
      const all = conversations.listFor(ctx.claims);
      const listed = all.filter((c) => includeClosed || c.stage === 'OPEN').slice(0, limit);
      sendJson(ctx.res, 200, {
        openConversationsFound: listed.filter((c) => c.stage === 'OPEN').length,
        // [SB] Counts what the listing holds: 0 unless inclClosedConvs=true.
        closedConversationsFound: listed.filter((c) => c.stage === 'CLOSE').length,
        conversations: listed.map((c) => ({
          conversationId: c.id,
          startTimestamp: c.startTs,
          // §2.6 [SB]: only closed conversations carry an end.
          ...(c.stage === 'CLOSE' && c.endTs !== undefined ? { endTimestamp: c.endTs } : {}),
        })),
      });
    }),
  );

  // §2.4 — final; 204 also for an already closed conversation.
  add(
    'DELETE',
    new RegExp(`${CONVERSATION}$`),
    call('sf.conversation.close', (ctx) => {
      checkDeployment(sandbox, ctx.claims, ctx.url.searchParams.get('esDeveloperName'));
      const found = conversations.owned(ctx.params[0] ?? '', ctx.claims);
      if (!found) throw new SfRequestError(NOT_FOUND);
      conversations.close(found.state, ctx.claims);
      noContent(ctx.res);
    }),
  );

  // §2.5 — 204 also when no session is active (nothing is emitted then).
  add(
    'DELETE',
    new RegExp(`${CONVERSATION}/session$`),
    call('sf.session.end', (ctx) => {
      checkDeployment(sandbox, ctx.claims, ctx.url.searchParams.get('esDeveloperName'));
      conversations.endSession(openConversation(ctx));
      noContent(ctx.res);
    }),
  );

  // §2.7 — reads work on closed conversations.
  add(
    'GET',
    new RegExp(`${CONVERSATION}/entries$`),
    call('sf.entries', (ctx) => {
      const found = conversations.owned(ctx.params[0] ?? '', ctx.claims);
      if (!found) throw new SfRequestError(NOT_FOUND);
      sendJson(ctx.res, 200, { conversationEntries: selectEntries(found.state.entries, ctx.url).map(restEntry) });
    }),
  );

  // §2.8
  add(
    'POST',
    new RegExp(`${CONVERSATION}/message$`),
    call('sf.message', async (ctx) => {
      const body = await jsonBody(ctx.req);
      const message = body.message;
      if (!isRecord(message)) throw new SfRequestError(badRequest('message is required'));
      const id = requiredString(message, 'id', 'message.id');
      if (!LOWERCASE_UUID_V4.test(id)) throw new SfRequestError(badRequest('message.id must be a lowercase UUID v4'));
      const messageType = requiredString(message, 'messageType', 'message.messageType');
      if (messageType !== 'StaticContentMessage') throw new SfRequestError(badRequest(`Unsupported messageType ${messageType}`));
      const staticContent = message.staticContent;
      if (!isRecord(staticContent)) throw new SfRequestError(badRequest('message.staticContent is required'));
      const formatType = requiredString(staticContent, 'formatType', 'message.staticContent.formatType');
      if (formatType !== 'Text') throw new SfRequestError(badRequest(`Unsupported formatType ${formatType}`));
      const text = requiredString(staticContent, 'text', 'message.staticContent.text');
      const inReplyToMessageId = optionalString(message, 'inReplyToMessageId');
      checkDeployment(sandbox, ctx.claims, requiredString(body, 'esDeveloperName'));
      const isNew = body.isNewMessagingSession;
      if (isNew !== undefined && typeof isNew !== 'boolean') throw new SfRequestError(badRequest('isNewMessagingSession must be a boolean'));
      const routingAttributes = optionalRecord(body, 'routingAttributes');
      optionalString(body, 'language');
      const state = openConversation(ctx);
      const result = conversations.send(
        state,
        ctx.claims,
        { id, text, ...(inReplyToMessageId === undefined ? {} : { inReplyToMessageId }) },
        isNew === true,
        routingAttributes,
      );
      if (result.kind === 'no-session') {
        throw new SfRequestError(sfError(417, 'No active messaging session: resend with isNewMessagingSession: true', 'NO_ACTIVE_MESSAGING_SESSION'));
      }
      // §2.8 [SB]: 202 with the entry; a repeated id answers the same, with no second echo.
      sendJson(ctx.res, 202, { conversationEntries: [{ id: result.entry.identifier, clientTimestamp: result.entry.clientTimestamp }] });
    }),
  );

  // §2.9 — no esDeveloperName, no rate limit.
  add(
    'POST',
    new RegExp(`${CONVERSATION}/entry$`),
    call('sf.typing', async (ctx) => {
      const body = await jsonBody(ctx.req);
      const entryType = body.entryType;
      if (entryType !== 'TypingStartedIndicator' && entryType !== 'TypingStoppedIndicator') {
        throw new SfRequestError(badRequest('entryType must be TypingStartedIndicator or TypingStoppedIndicator'));
      }
      const typingId = optionalString(body, 'id');
      conversations.typing(openConversation(ctx), ctx.claims, entryType === 'TypingStartedIndicator', typingId);
      accepted(ctx.res);
    }),
  );

  // §2.10 — 400 only for missing/empty acks or another entryType; unknown entry ids accepted.
  add(
    'POST',
    new RegExp(`${CONVERSATION}/acknowledge-entries$`),
    call('sf.acknowledge', async (ctx) => {
      const body = await jsonBody(ctx.req);
      const acks = body.acks;
      if (!Array.isArray(acks) || acks.length === 0) throw new SfRequestError(badRequest('acks must be a non-empty array'));
      const parsed: { entryType: AckType; conversationEntryId: unknown }[] = [];
      for (const ack of acks) {
        const entryType = isRecord(ack) ? ack.entryType : undefined;
        if (entryType !== 'Delivery' && entryType !== 'Read') throw new SfRequestError(badRequest('acks[].entryType must be Delivery or Read'));
        parsed.push({ entryType, conversationEntryId: (ack as Record<string, unknown>).conversationEntryId });
      }
      conversations.acknowledge(openConversation(ctx), ctx.claims, parsed);
      accepted(ctx.res);
    }),
  );

  // §2.11 [SB]: not emulated.
  add(
    'POST',
    new RegExp(`${CONVERSATION}/file$`),
    call('sf.file', (ctx) => {
      openConversation(ctx);
      ctx.req.resume();
      sendSfError(ctx.res, sfError(501, 'File upload is not emulated', 'NOT_IMPLEMENTED'));
    }),
  );

  // §3
  add('GET', /^\/eventrouter\/v1\/sse$/, (ctx) => connectStream(ctx, api));

  // Any other Salesforce path: 404 in the Salesforce error shape, with CORS (not counted).
  for (const method of ['GET', 'POST', 'DELETE'] as const) {
    add(method, /^\/(iamessage|eventrouter)(\/.*)?$/, async ({ res }) => sendSfError(res, sfError(404, 'Not found', 'NOT_FOUND')));
  }
}

/** §3.1–§3.5. */
async function connectStream(ctx: RouteContext, api: SalesforceApi): Promise<void> {
  const { sandbox, tokens, book, conversations } = api;
  const { req, res } = ctx;
  sandbox.calls.count('sf.sse.connect');
  const fault = sandbox.faults.take('sf.sse.connect');
  if (fault) sandbox.log(`fault on sf.sse.connect: ${JSON.stringify(fault)}`);
  if (fault?.delayMs) await delay(fault.delayMs);
  if (fault?.status !== undefined) {
    const { message, code } = faultError(fault.status);
    return sendSfError(res, sfError(fault.status, message, code), retryAfterHeader(fault));
  }
  const claims = await tokens.verifyHeader(req.headers.authorization);
  if (isSfError(claims)) return sendSfError(res, claims);
  // Node lowercases header names: X-Org-ID and x-org-id are one header.
  const orgHeader = headerValue(req, 'x-org-id');
  if (orgHeader === undefined || orgHeader === '') return sendSfError(res, sfError(400, 'X-Org-Id header is required', 'MISSING_ORG_ID'));
  // §5.1: the first 15 characters must be the token's org (case-sensitive); strictOrgId wants exactly 15.
  if (orgHeader.slice(0, 15) !== claims.orgId || (conversations.options.strictOrgId && orgHeader.length !== 15)) {
    return sendSfError(res, ORG_MISMATCH);
  }
  // [SB] Accept: text/event-stream is what clients send; a header that excludes it is a 406.
  const accept = headerValue(req, 'accept');
  if (accept !== undefined && !/(text\/event-stream|text\/\*|\*\/\*)/i.test(accept)) {
    return sendSfError(res, sfError(406, 'Accept must allow text/event-stream', 'NOT_ACCEPTABLE'));
  }

  req.socket.setTimeout(0);
  req.socket.setNoDelay(true);
  req.socket.setKeepAlive(true);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.setHeader('Connection', 'keep-alive');
  // Headers go out now: the stream counts as open before any event.
  res.flushHeaders();
  const identity = book.ensure(claims);
  const stream = book.open(res, identity, claims.exp, headerValue(req, 'last-event-id'));
  // A closeCode fault opens the stream and then cuts it (1000: ends it cleanly).
  if (fault?.closeCode !== undefined) {
    if (fault.closeCode === 1000) stream.end();
    else stream.cut();
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function tokenResponse(accessToken: string, lastEventId: string, claims: SfClaims, prechatFields: readonly Record<string, unknown>[]): Record<string, unknown> {
  return {
    accessToken,
    lastEventId,
    context: {
      ...(claims.deviceId === undefined ? {} : { deviceId: claims.deviceId }),
      configuration: {
        embeddedServiceConfig: {
          name: claims.esDeveloperName,
          deploymentType: 'api',
          embeddedServiceMessagingChannel: { channelAddressIdentifier: channelAddressFor(claims.orgId, claims.esDeveloperName), authMode: 'UnAuth' },
          forms: prechatFields.length === 0 ? [] : [{ displayContext: 'Conversation', formFields: prechatFields.map((f) => ({ ...f })) }],
          choiceListConfig: { choiceList: [] },
        },
      },
    },
  };
}

/** The body's deployment must be the token's; a non-`api` deployment gets the §5.4 text. */
function checkDeployment(sandbox: SandboxContext, claims: SfClaims, esDeveloperName: string | null): void {
  if (esDeveloperName === null || esDeveloperName === '') throw new SfRequestError(badRequest('esDeveloperName is required'));
  if (esDeveloperName === claims.esDeveloperName) return;
  const other = sandbox.tenants.salesforce.get(claims.orgId)?.deployments.get(esDeveloperName);
  if (other && other.deploymentType !== 'api') throw new SfRequestError(NOT_API_DEPLOYMENT);
  throw new SfRequestError(badRequest(`esDeveloperName ${esDeveloperName} is not the deployment of the access token`, 'INVALID_DEPLOYMENT'));
}

/** A JSON object body; `Content-Type: application/json` required (§2.0). */
async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = headerValue(req, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    req.resume();
    throw new SfRequestError(sfError(415, 'Content-Type must be application/json', 'UNSUPPORTED_MEDIA_TYPE'));
  }
  const parsed = await readJson(req);
  if (!parsed.ok) throw new SfRequestError(badRequest(parsed.error, 'INVALID_JSON'));
  if (!isRecord(parsed.value)) throw new SfRequestError(badRequest('body must be a JSON object', 'INVALID_JSON'));
  return parsed.value;
}

function requiredString(body: Record<string, unknown>, field: string, label = field): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new SfRequestError(badRequest(`${label} is required (a non-empty string)`));
  return value;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SfRequestError(badRequest(`${field} must be a string`));
  return value;
}

function optionalRecord(body: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new SfRequestError(badRequest(`${field} must be an object`));
  return value;
}

function limitParam(url: URL): number {
  const raw = url.searchParams.get('limit');
  if (raw === null || raw === '') return DEFAULT_LIMIT;
  const limit = Number(raw);
  if (!Number.isFinite(limit)) throw new SfRequestError(badRequest('limit must be a number'));
  return Math.min(MAX_LIMIT, Math.max(1, Math.trunc(limit)));
}

function timestampParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new SfRequestError(badRequest(`${name} must be a number of ms`));
  return value;
}

/**
 * §2.7 [SB]: `FromEnd` (default) = newest first, ending at `endTimestamp`/now; `FromStart` = oldest
 * first, from `startTimestamp`; both bounds inclusive; `entryTypeFilter` a comma list.
 */
export function selectEntries(entries: readonly SfEntry[], url: URL): SfEntry[] {
  const limit = limitParam(url);
  const start = timestampParam(url, 'startTimestamp');
  const end = timestampParam(url, 'endTimestamp');
  const direction = url.searchParams.get('direction') ?? 'FromEnd';
  if (direction !== 'FromEnd' && direction !== 'FromStart') throw new SfRequestError(badRequest('direction must be FromEnd or FromStart'));
  const filterParam = url.searchParams.get('entryTypeFilter');
  const types = filterParam ? new Set(filterParam.split(',').map((t) => t.trim()).filter((t) => t !== '')) : undefined;
  const selected = entries.filter(
    (e) =>
      (start === undefined || e.transcriptedTimestamp >= start) &&
      (end === undefined || e.transcriptedTimestamp <= end) &&
      (types === undefined || types.size === 0 || types.has(e.entryType)),
  );
  const ordered = direction === 'FromEnd' ? selected.reverse() : selected;
  return ordered.slice(0, limit);
}

function noContent(res: ServerResponse): void {
  res.statusCode = 204;
  res.end();
}

function accepted(res: ServerResponse): void {
  sendJson(res, 202, {});
}
