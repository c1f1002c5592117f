/**
 * The durable outbox. A message the visitor sends is written here, with its client id, before
 * any network call, and stays until the server has acknowledged it — across reloads, dropped
 * connections and token renewals. Tabs of one browser share it; sending runs under a Web Lock
 * so only one tab sends a given entry, and each entry is re-read from storage right before it
 * goes out (another tab may have delivered it meanwhile).
 *
 * Exactly once on the wire rests on the vendors' own means: Salesforce takes our client id as
 * the message id and ignores a repeat; LivePerson stores our client id in the event's metadata
 * and replays it, so a send whose answer was lost is recognised on resume (adapters).
 */
import type { ReplyTo } from '../adapters/types.ts';
import type { LocalStore } from '../auth/index.ts';
import { withTenantLock } from '../auth/index.ts';

export interface OutboxEntry {
  clientId: string;
  text: string;
  createdAt: number;
  /** Sends that failed for a transient reason (connection lost mid-send, ...). */
  attempts: number;
  /** Given up after repeated failures: shown as failed, sent again only on the visitor's retry. */
  failed?: boolean;
  /** The quick reply this message answers. */
  replyTo?: ReplyTo;
}

/** After this many transient failures in a row a message is shown as failed, with a retry. */
export const MAX_SEND_ATTEMPTS = 3;
const MAX_ENTRIES = 200;

function parseEntries(value: unknown): OutboxEntry[] {
  if (!Array.isArray(value)) return [];
  const entries: OutboxEntry[] = [];
  for (const item of value.slice(0, MAX_ENTRIES)) {
    if (typeof item !== 'object' || item === null) continue;
    const { clientId, text, createdAt, attempts, failed } = item as Record<string, unknown>;
    if (typeof clientId !== 'string' || !clientId || typeof text !== 'string' || !text) continue;
    if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) continue;
    const entry: OutboxEntry = { clientId, text, createdAt, attempts: typeof attempts === 'number' && attempts >= 0 ? attempts : 0 };
    if (failed === true) entry.failed = true;
    const { replyTo } = item as Record<string, unknown>;
    if (typeof replyTo === 'object' && replyTo !== null && typeof (replyTo as ReplyTo).messageId === 'string') {
      const { messageId, metadata } = replyTo as ReplyTo;
      entry.replyTo = Array.isArray(metadata) ? { messageId, metadata } : { messageId };
    }
    entries.push(entry);
  }
  return entries;
}

export class Outbox {
  readonly #store: LocalStore;
  readonly #tenant: string;
  readonly #key: string;

  constructor(store: LocalStore, tenant: string) {
    this.#store = store;
    this.#tenant = tenant;
    this.#key = `${tenant}#outbox`;
  }

  async load(): Promise<OutboxEntry[]> {
    return parseEntries(await this.#store.read(this.#key));
  }

  /** Read-modify-write under the tenant's outbox lock, so tabs never overwrite each other. */
  #change(update: (entries: OutboxEntry[]) => OutboxEntry[]): Promise<OutboxEntry[]> {
    return withTenantLock(`${this.#tenant}#outbox-write`, async () => {
      const next = update(await this.load());
      if (next.length) await this.#store.write(this.#key, next);
      else await this.#store.remove(this.#key);
      return next;
    });
  }

  add(entry: OutboxEntry) {
    return this.#change((entries) => (entries.some((e) => e.clientId === entry.clientId) ? entries : [...entries, entry]));
  }

  remove(clientId: string) {
    return this.#change((entries) => entries.filter((e) => e.clientId !== clientId));
  }

  update(clientId: string, patch: Partial<Pick<OutboxEntry, 'attempts' | 'failed'>>) {
    return this.#change((entries) => entries.map((e) => (e.clientId === clientId ? { ...e, ...patch } : e)));
  }

  /** Run the sender with this browser's single sending slot for the tenant. */
  whileSending<T>(task: () => Promise<T>): Promise<T> {
    return withTenantLock(`${this.#tenant}#outbox-send`, task);
  }
}
