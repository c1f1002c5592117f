/**
 * The wire shapes of Salesforce's Messaging for In-App and Web v2 API (contract §2, §3): URLs,
 * request bodies, and readers for the answers the widget uses. Pure; no I/O.
 */
import { badData, field, get, list, num as readNumber, str as readString } from '../http.ts';
import type { SalesforceConfig } from '../types.ts';
import type { TabToken } from './memory.ts';

/** What every request of one deployment needs (W16: any base URL works). */
export interface Deployment {
  /** SCRT base URL without a trailing slash. */
  scrt: string;
  /** The 15-character org id (§5.1). */
  orgId15: string;
  esDeveloperName: string;
}

export function deploymentOf(config: SalesforceConfig): Deployment {
  return {
    scrt: config.scrtUrl.replace(/\/+$/, ''),
    orgId15: config.orgId.slice(0, 15),
    esDeveloperName: config.deployment,
  };
}

/** The URLs of one deployment's calls (§2) and its stream (§3.1). */
export function routes(d: Deployment) {
  const api = `${d.scrt}/iamessage/api/v2`;
  const enc = encodeURIComponent;
  /** `{api}/conversation/{id}{rest}`. */
  const conversation = (id: string, rest: string): string => `${api}/conversation/${enc(id)}${rest}`;
  return {
    guestToken: `${api}/authorization/unauthenticated/access-token`,
    continuation: `${api}/authorization/continuation-access-token`,
    conversations: `${api}/conversation/list?inclClosedConvs=false&limit=20`,
    createConversation: `${api}/conversation`,
    closeConversation: (id: string) => conversation(id, `?esDeveloperName=${enc(d.esDeveloperName)}`),
    entries: (id: string, limit: number, endTimestamp: number | undefined) =>
      conversation(id, `/entries?limit=${limit}&direction=FromEnd&entryTypeFilter=Message${endTimestamp === undefined ? '' : `&endTimestamp=${endTimestamp}`}`),
    message: (id: string) => conversation(id, '/message'),
    entry: (id: string) => conversation(id, '/entry'),
    acknowledge: (id: string) => conversation(id, '/acknowledge-entries'),
    // The sample adds a cache-busting query; the server ignores any query string (§3.1).
    stream: (nowMs: number) => `${d.scrt}/eventrouter/v1/sse?_ts=${nowMs}`,
  };
}

/** W3: every client-generated id is a lowercase UUID v4. */
export const isLowercaseUuid = (value: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(value);

export function newId(): string {
  // randomUUID is specified to produce lowercase v4; lowercase again in case a polyfill does not.
  return crypto.randomUUID().toLowerCase();
}

// ------------------------------------------------------------------------------------------
// Request bodies

export function guestTokenBody(d: Deployment, clientVersion: string): Record<string, unknown> {
  return {
    orgId: d.orgId15,
    esDeveloperName: d.esDeveloperName,
    capabilitiesVersion: '1',
    platform: 'Web',
    context: { appName: 'GuestChat', clientVersion },
  };
}

export function createConversationBody(d: Deployment, conversationId: string): Record<string, unknown> {
  return { conversationId, esDeveloperName: d.esDeveloperName };
}

export function textMessageBody(d: Deployment, id: string, text: string, newSession: boolean): Record<string, unknown> {
  return {
    message: { id, messageType: 'StaticContentMessage', staticContent: { formatType: 'Text', text } },
    esDeveloperName: d.esDeveloperName,
    // Only on the resend after a 417 (§2.8).
    ...(newSession && { isNewMessagingSession: true }),
  };
}

export function typingBody(on: boolean): Record<string, unknown> {
  return { entryType: on ? 'TypingStartedIndicator' : 'TypingStoppedIndicator', id: newId() };
}

export function acknowledgeBody(kind: 'Delivery' | 'Read', entryIds: readonly string[]): Record<string, unknown> {
  return { acks: entryIds.map((conversationEntryId) => ({ id: newId(), entryType: kind, conversationEntryId })) };
}

// ------------------------------------------------------------------------------------------
// Answers

/** `lastEventId` is an opaque string (§2.1); a number is taken as its decimal string. */
const readEventId = (value: unknown): string | undefined => readString(value) ?? readNumber(value)?.toString();

/** A guest or continuation token answer: `token` is its `accessToken`. */
export interface TokenAnswer extends TabToken {
  /** `context.configuration.embeddedServiceConfig.deploymentType`, when present. */
  deploymentType: string | undefined;
}

/** A guest or continuation token answer (§2.1, §2.2); one without a token is bad data. */
export function readTokenAnswer(body: unknown): TokenAnswer {
  const token = field(body, 'accessToken');
  if (token === undefined) throw badData('No accessToken');
  return {
    token,
    lastEventId: readEventId(get(body, 'lastEventId')),
    deploymentType: field(get(get(get(body, 'context'), 'configuration'), 'embeddedServiceConfig'), 'deploymentType'),
  };
}

/**
 * From a conversation list answer (§2.6): the resumed conversation if it is open, else the open
 * one started last (§1.2). An answer without a list is bad data.
 */
export function pickConversation(body: unknown, preferred: string | undefined): string | undefined {
  let newest: string | undefined;
  let newestStart = -Infinity;
  for (const raw of arrayIn(body, 'conversations')) {
    const id = field(raw, 'conversationId');
    // Closed ones carry `endTimestamp` (§2.6); we ask for open ones only, but check anyway.
    if (id === undefined || (get(raw, 'endTimestamp') ?? null) !== null) continue;
    if (id === preferred) return id;
    const start = readNumber(get(raw, 'startTimestamp')) ?? 0;
    // The first of equals wins.
    if (start > newestStart) {
      newest = id;
      newestStart = start;
    }
  }
  return newest;
}

/** The array `key` of an answer that must have one (else `bad-server-data`). */
export function arrayIn(body: unknown, key: string): unknown[] {
  const value = get(body, key);
  if (!Array.isArray(value)) throw badData(`No ${key}`);
  return value;
}

/** `clientTimestamp` of the stored message in a send answer (§2.8), when given. */
export const readSendTimestamp = (body: unknown): number | undefined => readNumber(get(list(get(body, 'conversationEntries'))[0], 'clientTimestamp'));
