/**
 * The stored token record: one per tenant key, versioned. Anything read back from storage is
 * untrusted (another version of the widget, a user's devtools, a corrupted write), so `parseRecord`
 * checks every field and answers `undefined` for anything it does not fully understand.
 */
import type { AdapterName } from '../adapters/types.ts';

export const RECORD_VERSION = 1;

export interface StoredIdentity {
  token: string;
  subject?: string;
  issuedAt: number;
  expiresAt: number;
  windowEndsAt: number;
}

export interface StoredAccess {
  token: string;
  subject: string;
  issuedAt: number;
  expiresAt: number;
}

export interface StoredConversation {
  id: string;
  /** Resume cursor, opaque to all but the adapter. */
  cursor?: string;
}

export interface TokenRecord {
  v: typeof RECORD_VERSION;
  adapter: AdapterName;
  tenant: string;
  identity: StoredIdentity;
  access?: StoredAccess;
  conversation?: StoredConversation;
  /** Last measured server-minus-local clock offset, ms. */
  skewMs?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 8192;

function parseIdentity(v: unknown): StoredIdentity | undefined {
  if (!isObject(v) || !isText(v.token) || !isTime(v.issuedAt) || !isTime(v.expiresAt) || !isTime(v.windowEndsAt)) return undefined;
  if (v.subject !== undefined && !isText(v.subject)) return undefined;
  const identity: StoredIdentity = { token: v.token, issuedAt: v.issuedAt, expiresAt: v.expiresAt, windowEndsAt: v.windowEndsAt };
  if (v.subject !== undefined) identity.subject = v.subject;
  return identity;
}

function parseAccess(v: unknown): StoredAccess | undefined {
  if (!isObject(v) || !isText(v.token) || !isText(v.subject) || !isTime(v.issuedAt) || !isTime(v.expiresAt)) return undefined;
  return { token: v.token, subject: v.subject, issuedAt: v.issuedAt, expiresAt: v.expiresAt };
}

function parseConversation(v: unknown): StoredConversation | undefined {
  if (!isObject(v) || !isText(v.id)) return undefined;
  if (v.cursor !== undefined && typeof v.cursor !== 'string') return undefined;
  return v.cursor === undefined ? { id: v.id } : { id: v.id, cursor: v.cursor };
}

/** A valid record for this tenant, or undefined for a missing, foreign, older or corrupted one. */
export function parseRecord(value: unknown, tenant: string): TokenRecord | undefined {
  if (!isObject(value) || value.v !== RECORD_VERSION || value.tenant !== tenant) return undefined;
  if (value.adapter !== 'liveperson' && value.adapter !== 'salesforce' && value.adapter !== 'liveperson-connector') return undefined;
  const identity = parseIdentity(value.identity);
  if (!identity) return undefined;
  const record: TokenRecord = { v: RECORD_VERSION, adapter: value.adapter, tenant, identity };
  // A damaged optional part costs only that part, not the identity behind it.
  if (value.access !== undefined) {
    const access = parseAccess(value.access);
    if (access) record.access = access;
  }
  if (value.conversation !== undefined) {
    const conversation = parseConversation(value.conversation);
    if (conversation) record.conversation = conversation;
  }
  if (typeof value.skewMs === 'number' && Number.isFinite(value.skewMs)) record.skewMs = value.skewMs;
  return record;
}
