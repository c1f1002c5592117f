/**
 * The broker's browser API as data (src/broker/README.md): route URLs, and readers that check
 * the broker's answers before anything is believed. Pure.
 */
import { isObject, num, str } from '../http.ts';
import type { Identity } from '../types.ts';

export type Json = Record<string, unknown>;

export { isObject };

/** Every route the adapter calls, under the configured base URL (no trailing slash). */
export function routes(broker: string) {
  const conversations = `${broker}/v1/conversations`;
  return {
    visitors: `${broker}/v1/visitors`,
    refresh: `${broker}/v1/visitors/refresh`,
    open: `${conversations}/open`,
    conversations,
    events: `${broker}/v1/events`,
    /** `…/conversations/<id>/<action>`. */
    of: (id: string, action: 'messages' | 'typing' | 'read' | 'close'): string => `${conversations}/${encodeURIComponent(id)}/${action}`,
  };
}

/** `Identity` = `{ visitorToken, visitorId, issuedAt, expiresAt, windowEndsAt }` (epoch ms). */
export function readIdentity(body: unknown): Identity | undefined {
  if (!isObject(body)) return undefined;
  const token = str(body['visitorToken']);
  const subject = str(body['visitorId']);
  const issuedAt = num(body['issuedAt']);
  const expiresAt = num(body['expiresAt']);
  const windowEndsAt = num(body['windowEndsAt']);
  if (token === undefined || subject === undefined || issuedAt === undefined || expiresAt === undefined || windowEndsAt === undefined) {
    return undefined;
  }
  if (expiresAt <= issuedAt || windowEndsAt < expiresAt) return undefined;
  return { token, subject, issuedAt, expiresAt, windowEndsAt };
}

/** `GET /v1/conversations/open` → the id, null for none; undefined when the answer is unreadable. */
export function readOpenConversation(body: unknown): string | null | undefined {
  if (!isObject(body) || !('conversationId' in body)) return undefined;
  const id = body['conversationId'];
  if (id === null) return null;
  return str(id);
}

/** `POST /v1/conversations` → `{ conversationId, created }`. */
export function readCreatedConversation(body: unknown): string | undefined {
  return isObject(body) ? str(body['conversationId']) : undefined;
}

/** `POST …/messages` → `{ id, sequence, conversationId, at }`. */
export function readSendResult(body: unknown): { id: string; at: number | undefined } | undefined {
  if (!isObject(body)) return undefined;
  const id = str(body['id']);
  return id === undefined ? undefined : { id, at: num(body['at']) };
}

/** Message ids are `<dialogId>:<sequence>` (dialog ids may themselves hold colons). */
export function parseMessageId(id: string): { dialogId: string; sequence: number } | undefined {
  const at = id.lastIndexOf(':');
  if (at <= 0) return undefined;
  const tail = id.slice(at + 1);
  if (!/^\d{1,15}$/.test(tail)) return undefined;
  return { dialogId: id.slice(0, at), sequence: Number(tail) };
}

/** Client ids the broker takes: 1–54 characters of `A-Z a-z 0-9 . _ : -` (a UUID fits). */
export const isBrokerClientId = (id: string): boolean => /^[A-Za-z0-9._:-]{1,54}$/.test(id);
