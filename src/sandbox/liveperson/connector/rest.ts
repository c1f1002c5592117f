/**
 * The Send API's REST messaging (LP contract §4 items 3–5), on the `asyncMessagingEnt` host.
 * Both requests carry `Authorization: <AppJWT>` and `X-LP-ON-BEHALF: <ConsumerJWS>`.
 *
 * - CONVERSATION `POST /api/account/{acc}/messaging/consumer/conversation?v=3`: an ordered array,
 *   `userprofile.SetUserProfile` then `cm.ConsumerRequestConversation` (with `brandId`) → 200
 *   `[{"code":"OK","body":{"msg":"OK User Profile set successfully"},"reqId":"1,"},
 *     {"code":"OK","body":{"conversationId":"…"},"reqId":"2,"}]`.
 * - SEND `POST …/conversation/send?v=3`: one `ms.PublishEvent` (ContentEvent, ChatStateEvent,
 *   AcceptStatusEvent) or `cm.UpdateConversationField` (close, CSAT) or `userprofile.SetUserProfile`
 *   → `{"reqId":"1","code":"OK","body":{"sequence":n}}` (chat state: 0; other requests: `{"msg"}`).
 *
 * Conversations go into the shared core (adapter `liveperson`, consumer id = `lp_consumer_id`), so
 * the agent API and console see and answer them; the creating app gets the webhooks (§4.1).
 *
 * [SB] decisions (undocumented by LivePerson):
 * - Auth is checked in the table's order: 40105 no `Authorization`, 40102 invalid/expired AppJWT
 *   (40001 for a token of ours lacking the Sentinel claims), 40104 no `X-LP-ON-BEHALF`, 40103
 *   invalid/expired/foreign ConsumerJWS. Then `v`: missing → 40001, other than 3 → 40000.
 * - Malformed input → HTTP 400 in the ErrorResp shape, `errorCode` 40000 (`brandId` missing: the
 *   documented 40001 "Brand Id is missing").
 * - A request that is well formed but refused by the conversation (one already open, unknown or
 *   closed dialog, bad sequence) → HTTP 400 (404 for unknown/foreign ones) with the response
 *   entries as usual, the failed one as `{"code":"BAD_REQUEST"|"NOT_FOUND","body":{"msg":"…"},"reqId"}`.
 *   CONVERSATION with an open conversation: 400, entry 1 OK, entry 2 BAD_REQUEST
 *   "Consumer already has an open conversation".
 * - 429 only through `/admin/faults` (with `Retry-After`).
 * - `Client-Properties`, when sent, must be a JSON object (else 40000); it is not used further.
 */
import type { IncomingMessage } from 'node:http';
import type { SandboxContext } from '../../context.ts';
import {
  ACCEPT_STATUSES,
  CHAT_STATES,
  CoreError,
  type AcceptStatus,
  type ChatState,
  type Conversation,
  type Csat,
  type Metadata,
  type Participant,
  type StoredEventBody,
} from '../../core.ts';
import { isRecord, parseJsonText, sendJson, type RouteContext, type Router } from '../../http.ts';
import type { ConnectorApp } from './apps.ts';
import { errorRespFaultBody } from './consumer-jws.ts';
import { readBodyOrUndefined, refuseBrowser } from './guard.ts';
import { readAuthorization, sendApiError, sendErrorResp, type ConnectorTokens, type ConsumerJwsClaims, type SendApiError } from './tokens.ts';

export const CONVERSATION_CALL = 'lp.connector.conversation';
export const SEND_CALL = 'lp.connector.send';

export interface RestDeps {
  sandbox: SandboxContext;
  tokens: ConnectorTokens;
  /** A conversation created with this app's AppJWT: its events go to the app's webhooks. */
  track(conversation: Conversation, app: ConnectorApp): void;
}

interface Caller {
  account: string;
  app: ConnectorApp;
  consumer: ConsumerJwsClaims;
}

/** A well-formed request the conversation refuses: an error entry, HTTP 400 or 404. */
class EntryError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

/** Malformed input: the ErrorResp body. */
class InputError extends Error {
  constructor(readonly error: SendApiError) {
    super(error.details);
  }
}

const badInput = (details: string): InputError => new InputError(sendApiError('badRequest', details));

export function addRestRoutes(router: Router, deps: RestDeps): void {
  const base = '^/api/account/([^/]+)/messaging/consumer/conversation';
  router.add('POST', new RegExp(`${base}$`), (ctx) => handle(ctx, deps, CONVERSATION_CALL, createConversation), null);
  router.add('POST', new RegExp(`${base}/send$`), (ctx) => handle(ctx, deps, SEND_CALL, send), null);
}

type Handler = (ctx: RouteContext, deps: RestDeps, caller: Caller, body: unknown) => void;

async function handle(ctx: RouteContext, deps: RestDeps, call: string, handler: Handler): Promise<void> {
  const text = await readBodyOrUndefined(ctx);
  if (await deps.sandbox.enterHttpCall(call, ctx.res, errorRespFaultBody)) return;
  if (refuseBrowser(ctx)) return;
  const caller = await authorize(ctx.req, ctx.params[0] ?? '', deps.tokens);
  if ('errorCode' in caller) return sendErrorResp(ctx.res, caller);
  try {
    const version = ctx.url.searchParams.get('v');
    if (version === null) throw new InputError(sendApiError('missingParameter', 'v is missing'));
    if (version !== '3') throw badInput('Unsupported v (expected 3)');
    checkClientProperties(ctx.req.headers['client-properties']);
    if (text === undefined) throw badInput('Body too large');
    const parsed = parseJsonText(text);
    if (!parsed.ok || parsed.empty) throw badInput(parsed.ok ? 'Body is empty' : 'Body is not valid JSON');
    handler(ctx, deps, caller, parsed.value);
  } catch (error) {
    if (error instanceof InputError) return sendErrorResp(ctx.res, error.error);
    throw error;
  }
}

async function authorize(req: IncomingMessage, account: string, tokens: ConnectorTokens): Promise<Caller | SendApiError> {
  const appJwt = readAuthorization(req.headers.authorization);
  if (appJwt === undefined) return sendApiError('appJwtMissing');
  const app = await tokens.verifyAppJwt(account, appJwt);
  if ('errorCode' in app) return app;
  const onBehalf = req.headers['x-lp-on-behalf'];
  const consumerJws = typeof onBehalf === 'string' && onBehalf.trim() !== '' ? onBehalf.trim() : undefined;
  if (consumerJws === undefined) return sendApiError('consumerJwsMissing');
  const consumer = await tokens.verifyConsumerJws(account, consumerJws);
  if ('errorCode' in consumer) return consumer;
  return { account, app: app.app, consumer };
}

function checkClientProperties(header: string | string[] | undefined): void {
  if (header === undefined) return;
  const parsed = typeof header === 'string' ? parseJsonText(header) : undefined;
  if (!parsed?.ok || !isRecord(parsed.value)) throw badInput('Client-Properties must be a JSON object');
}

interface ReqEnvelope {
  reqId: string | undefined;
  type: string;
  body: unknown;
  metadata: unknown;
}

function readRequest(value: unknown, where: string): ReqEnvelope {
  if (!isRecord(value)) throw badInput(`${where} must be a request object`);
  if (value.kind !== 'req') throw badInput(`${where}: kind must be "req"`);
  if (typeof value.type !== 'string' || value.type === '') throw badInput(`${where}: type is required`);
  const id = value.id;
  let reqId: string | undefined;
  if (typeof id === 'string' && id.length >= 1 && id.length <= 64) reqId = id;
  else if (typeof id === 'number' && Number.isFinite(id)) reqId = String(id);
  else if (id !== undefined) throw badInput(`${where}: id must be a string of 1–64 characters or a number`);
  return { reqId, type: value.type, body: value.body, metadata: value.metadata };
}

function entry(reqId: string | undefined, code: string, body: Record<string, unknown>): Record<string, unknown> {
  return { code, body, ...(reqId === undefined ? {} : { reqId }) };
}

const errorEntry = (reqId: string | undefined, error: EntryError): Record<string, unknown> =>
  entry(reqId, error.status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', { msg: error.message });

const PROFILE_OK = 'OK User Profile set successfully';

function createConversation(ctx: RouteContext, deps: RestDeps, caller: Caller, body: unknown): void {
  if (!Array.isArray(body)) throw badInput('Body must be an array: userprofile.SetUserProfile, then cm.ConsumerRequestConversation');
  if (body.length !== 2) throw badInput('Body must hold exactly two requests: userprofile.SetUserProfile, then cm.ConsumerRequestConversation');
  const profile = readRequest(body[0], 'request 1');
  const request = readRequest(body[1], 'request 2');
  if (profile.type !== 'userprofile.SetUserProfile') throw badInput('Request 1 must be userprofile.SetUserProfile');
  if (request.type !== 'cm.ConsumerRequestConversation') throw badInput('Request 2 must be cm.ConsumerRequestConversation');
  if (profile.body !== undefined && !isRecord(profile.body)) throw badInput('userprofile.SetUserProfile body must be an object');
  const input = request.body;
  if (!isRecord(input)) throw new InputError(sendApiError('missingParameter', 'Brand Id is missing'));
  if (input.brandId === undefined || input.brandId === '') throw new InputError(sendApiError('missingParameter', 'Brand Id is missing'));
  if (input.brandId !== caller.account) throw badInput('brandId does not match the account');
  if (input.channelType !== undefined && input.channelType !== 'MESSAGING') throw badInput('channelType must be MESSAGING');
  if (input.skillId !== undefined && typeof input.skillId !== 'string') throw badInput('skillId must be a string');

  const { sandbox } = deps;
  const consumerId = caller.consumer.lp_consumer_id;
  const profileEntry = entry(profile.reqId, 'OK', { msg: PROFILE_OK });
  if (sandbox.core.findOpenConversation('liveperson', caller.account, consumerId)) {
    const refused = new EntryError(400, 'Consumer already has an open conversation');
    return sendJson(ctx.res, 400, [profileEntry, errorEntry(request.reqId, refused)]);
  }
  const conversation = sandbox.core.createConversation({
    adapter: 'liveperson',
    tenant: caller.account,
    consumerId,
    ...(typeof input.skillId === 'string' ? { skillId: input.skillId } : {}),
  });
  deps.track(conversation, caller.app);
  sendJson(ctx.res, 200, [profileEntry, entry(request.reqId, 'OK', { conversationId: conversation.id })]);
}

function send(ctx: RouteContext, deps: RestDeps, caller: Caller, body: unknown): void {
  if (Array.isArray(body)) throw badInput('SEND takes one request, not an array');
  const request = readRequest(body, 'request');
  try {
    const answer = perform(deps.sandbox, caller, request);
    sendJson(ctx.res, 200, { ...(request.reqId === undefined ? {} : { reqId: request.reqId }), code: 'OK', body: answer });
  } catch (error) {
    const refused =
      error instanceof EntryError
        ? error
        : error instanceof CoreError
          ? new EntryError(error.code === 'not-found' ? 404 : 400, error.message)
          : undefined;
    if (!refused) throw error;
    sendJson(ctx.res, refused.status, { ...(request.reqId === undefined ? {} : { reqId: request.reqId }), code: refused.status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', body: { msg: refused.message } });
  }
}

function perform(sandbox: SandboxContext, caller: Caller, request: ReqEnvelope): Record<string, unknown> {
  switch (request.type) {
    case 'ms.PublishEvent':
      return publish(sandbox, caller, request);
    case 'cm.UpdateConversationField':
      return updateField(sandbox, caller, request.body);
    case 'userprofile.SetUserProfile':
      if (request.body !== undefined && !isRecord(request.body)) throw badInput('userprofile.SetUserProfile body must be an object');
      return { msg: PROFILE_OK };
    default:
      throw badInput(`Unsupported request type ${request.type} (SEND takes ms.PublishEvent, cm.UpdateConversationField, userprofile.SetUserProfile)`);
  }
}

function publish(sandbox: SandboxContext, caller: Caller, request: ReqEnvelope): Record<string, unknown> {
  const body = request.body;
  if (!isRecord(body) || typeof body.dialogId !== 'string' || body.dialogId === '') throw badInput('dialogId is required');
  const event = body.event;
  if (!isRecord(event) || typeof event.type !== 'string') throw badInput('event with a type is required');
  const metadata = parseMetadata(request.metadata);
  const found = sandbox.core.findDialog(body.dialogId);
  if (!found || !owns(found.conversation, caller)) throw new EntryError(404, `Unknown dialog ${body.dialogId}`);
  if (body.conversationId !== undefined && body.conversationId !== found.conversation.id) {
    throw new EntryError(404, `Unknown conversation ${String(body.conversationId)}`);
  }
  if (found.dialog.state === 'CLOSE') throw new EntryError(400, 'Dialog is closed');
  const me: Participant = { id: caller.consumer.lp_consumer_id, role: 'CONSUMER' };
  if (event.type === 'ChatStateEvent') {
    const chatState = event.chatState;
    if (typeof chatState !== 'string' || !(CHAT_STATES as readonly string[]).includes(chatState)) {
      throw badInput(`chatState must be one of ${CHAT_STATES.join(', ')}`);
    }
    sandbox.core.setChatState(found.conversation.id, found.dialog.dialogId, me, chatState as ChatState);
    return { sequence: 0 };
  }
  const stored = sandbox.core.publish(found.conversation.id, found.dialog.dialogId, me, parseEvent(event), metadata ? { metadata } : {});
  return { sequence: stored.sequence };
}

function parseEvent(event: Record<string, unknown>): StoredEventBody {
  switch (event.type) {
    case 'ContentEvent':
      if (typeof event.contentType !== 'string' || event.contentType === '') throw badInput('ContentEvent needs contentType');
      if (typeof event.message !== 'string' || event.message === '') throw badInput('ContentEvent needs a non-empty message');
      return { ...event, type: 'ContentEvent', contentType: event.contentType, message: event.message };
    case 'AcceptStatusEvent': {
      const { status, sequenceList } = event;
      if (typeof status !== 'string' || !(ACCEPT_STATUSES as readonly string[]).includes(status)) {
        throw badInput(`status must be one of ${ACCEPT_STATUSES.join(', ')}`);
      }
      if (!Array.isArray(sequenceList) || sequenceList.length === 0 || !sequenceList.every((s) => Number.isInteger(s))) {
        throw badInput('sequenceList must be a non-empty array of sequences');
      }
      // The core refuses sequences the dialog does not hold (→ BAD_REQUEST entry).
      return { type: 'AcceptStatusEvent', status: status as AcceptStatus, sequenceList: sequenceList as number[] };
    }
    default:
      throw badInput(`Unsupported event type ${String(event.type)} (ContentEvent, ChatStateEvent, AcceptStatusEvent)`);
  }
}

function updateField(sandbox: SandboxContext, caller: Caller, body: unknown): Record<string, unknown> {
  if (!isRecord(body) || typeof body.conversationId !== 'string') throw badInput('conversationId is required');
  const conversation = sandbox.core.getConversation(body.conversationId);
  if (!conversation || !owns(conversation, caller)) throw new EntryError(404, `Unknown conversation ${body.conversationId}`);
  const fields = Array.isArray(body.conversationField) ? body.conversationField : [body.conversationField];
  if (fields.length === 0 || fields[0] === undefined) throw badInput('conversationField is required');
  let msg = 'OK';
  for (const field of fields) {
    if (!isRecord(field)) throw badInput('conversationField must be an object');
    switch (field.field) {
      case 'ConversationStateField':
      case 'Stage':
        if (field.conversationState !== 'CLOSE') throw badInput('Only conversationState CLOSE is supported');
        sandbox.core.closeConversation(conversation.id, 'CONSUMER');
        msg = 'OK Conversation resolved successfully';
        break;
      case 'DialogChange': {
        const dialog = field.dialog;
        if (field.type !== 'UPDATE' || !isRecord(dialog) || dialog.state !== 'CLOSE' || typeof dialog.dialogId !== 'string') {
          throw badInput('DialogChange needs type UPDATE and dialog {dialogId, state: CLOSE}');
        }
        if (!conversation.dialogs.some((d) => d.dialogId === dialog.dialogId)) throw new EntryError(404, `Unknown dialog ${dialog.dialogId}`);
        sandbox.core.closeConversation(conversation.id, 'CONSUMER', typeof dialog.closedCause === 'string' ? dialog.closedCause : undefined);
        msg = 'OK Conversation resolved successfully';
        break;
      }
      case 'CSATRate':
        sandbox.core.rateConversation(conversation.id, parseCsat(field));
        break;
      default:
        throw badInput(`Unsupported conversationField ${String(field.field)}`);
    }
  }
  return { msg };
}

function owns(conversation: Conversation, caller: Caller): boolean {
  return conversation.adapter === 'liveperson' && conversation.tenant === caller.account && conversation.consumerId === caller.consumer.lp_consumer_id;
}

function parseMetadata(input: unknown): Metadata | undefined {
  if (input === undefined) return undefined;
  if (!Array.isArray(input) || !input.every((m) => isRecord(m) && typeof m.type === 'string')) {
    throw badInput('metadata must be an array of objects with a string type');
  }
  return input as Metadata;
}

function parseCsat(field: Record<string, unknown>): Csat {
  const { csatRate, csatResolutionConfirmation, status } = field;
  if (typeof csatRate !== 'number' || !Number.isInteger(csatRate) || csatRate < 1 || csatRate > 5) throw badInput('csatRate must be an integer 1..5');
  if (status !== 'FILLED' && status !== 'PARTIALLY_FILLED' && status !== 'SKIPPED') throw badInput('status must be FILLED, PARTIALLY_FILLED or SKIPPED');
  if (csatResolutionConfirmation !== undefined && typeof csatResolutionConfirmation !== 'boolean') {
    throw badInput('csatResolutionConfirmation must be a boolean');
  }
  return { csatRate, status, ...(csatResolutionConfirmation === undefined ? {} : { csatResolutionConfirmation }) };
}
