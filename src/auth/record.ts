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

/**
 * A field check: the value when it is acceptable; undefined when it is not (the object holding it
 * is refused); null when the field is to be left out.
 */
export type Parse = (v: unknown) => unknown;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const finite: Parse = (v) => (Number.isFinite(v) ? v : undefined);
const time: Parse = (v) => (Number.isFinite(v) && (v as number) >= 0 ? v : undefined);
const text: Parse = (v) => (typeof v === 'string' && v.length > 0 && v.length <= 8192 ? v : undefined);
export const string: Parse = (v) => (typeof v === 'string' ? v : undefined);
const oneOf =
  (...allowed: unknown[]): Parse =>
  (v) =>
    allowed.includes(v) ? v : undefined;
/** A field that may be missing but not malformed. */
const optional =
  (parse: Parse): Parse =>
  (v) =>
    v === undefined ? null : parse(v);
/** A field left out when malformed: a damaged optional part costs only that part. */
export const lenient =
  (parse: Parse): Parse =>
  (v) =>
    parse(v) ?? null;

/** A copy of the fields of `v` named here, each passed through its check; undefined when `v` does not qualify. */
export function fields<T>(v: unknown, checks: Record<string, Parse>): T | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, parse] of Object.entries(checks)) {
    const value = parse(v[key]);
    if (value === undefined) return undefined;
    if (value !== null) out[key] = value;
  }
  return out as T;
}

const parseIdentity: Parse = (v) => fields<StoredIdentity>(v, { token: text, issuedAt: time, expiresAt: time, windowEndsAt: time, subject: optional(text) });

/** A valid record for this tenant, or undefined for a missing, foreign, older or corrupted one. */
export const parseRecord = (value: unknown, tenant: string): TokenRecord | undefined =>
  fields<TokenRecord>(value, {
    v: oneOf(RECORD_VERSION),
    adapter: oneOf('liveperson', 'salesforce', 'liveperson-connector'),
    tenant: oneOf(tenant),
    identity: parseIdentity,
    access: lenient((v) => fields<StoredAccess>(v, { token: text, subject: text, issuedAt: time, expiresAt: time })),
    conversation: lenient((v) => fields<StoredConversation>(v, { id: text, cursor: optional(string) })),
    skewMs: lenient(finite),
  });
