/**
 * The visitor ↔ conversation index, kept from the create response and from the cqm webhooks:
 * `conv:<id>` → `{visitorId, state, updatedAt}` (ownership: a conversation id not owned by the
 * visitor is answered 404) and `open:<visitorId>` → the open conversation's id.
 */
import type { Store } from './store.ts';
import { REFRESH_WINDOW_MS } from './visitor-tokens.ts';

/** As long as a visitor identity can live, plus a day. */
const RECORD_TTL_MS = REFRESH_WINDOW_MS + 24 * 60 * 60 * 1000;

export type ConversationState = 'OPEN' | 'CLOSE';

export interface ConversationRecord {
  visitorId: string;
  state: ConversationState;
  /** LivePerson's `metaDataLastUpdateTs` of the state held, when known: older cqm changes are stale. */
  updatedAt?: number;
}

export class Conversations {
  constructor(private readonly store: Store) {}

  async get(conversationId: string): Promise<ConversationRecord | undefined> {
    const raw = await this.store.get(`conv:${conversationId}`);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as ConversationRecord;
    } catch {
      return undefined;
    }
  }

  /** The visitor's open conversation, if the index knows one. */
  async openOf(visitorId: string): Promise<string | undefined> {
    const id = await this.store.get(`open:${visitorId}`);
    if (!id) return undefined;
    const record = await this.get(id);
    return record?.visitorId === visitorId && record.state === 'OPEN' ? id : undefined;
  }

  /** A conversation the broker just created for this visitor. */
  async created(conversationId: string, visitorId: string): Promise<void> {
    const existing = await this.get(conversationId);
    // A cqm change may have landed first; keep its (newer) state.
    if (!existing) await this.put(conversationId, { visitorId, state: 'OPEN' });
    if ((existing?.state ?? 'OPEN') === 'OPEN') await this.store.set(`open:${visitorId}`, conversationId, RECORD_TTL_MS);
  }

  /**
   * Apply a state from LivePerson (cqm) or from our own close. Returns false when it is older
   * than, or the same as, what is held (a duplicate or out-of-order delivery).
   */
  async apply(conversationId: string, visitorId: string, state: ConversationState, updatedAt?: number): Promise<boolean> {
    const existing = await this.get(conversationId);
    if (existing && existing.visitorId !== visitorId) return false;
    // A closed conversation never opens again: a late OPEN is an overtaken delivery.
    if (existing?.state === 'CLOSE' && state === 'OPEN') return false;
    if (existing?.updatedAt !== undefined && updatedAt !== undefined) {
      if (updatedAt < existing.updatedAt) return false;
      if (updatedAt === existing.updatedAt && state === existing.state) return false;
    }
    const record: ConversationRecord = { visitorId, state };
    const stamp = updatedAt ?? existing?.updatedAt;
    if (stamp !== undefined) record.updatedAt = stamp;
    await this.put(conversationId, record);
    if (state === 'OPEN') await this.store.set(`open:${visitorId}`, conversationId, RECORD_TTL_MS);
    else await this.store.delIfEquals(`open:${visitorId}`, conversationId);
    return true;
  }

  private put(conversationId: string, record: ConversationRecord): Promise<void> {
    return this.store.set(`conv:${conversationId}`, JSON.stringify(record), RECORD_TTL_MS);
  }
}
