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
import { fields, finite, lenient, string, type Parse } from '../auth/record.ts';

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

const filled: Parse = (v) => (typeof v === 'string' && v ? v : undefined);

const parseEntries = (value: unknown): OutboxEntry[] =>
  (Array.isArray(value) ? value.slice(0, MAX_ENTRIES) : []).flatMap((item: unknown) => {
    const entry = fields<OutboxEntry>(item, {
      clientId: filled,
      text: filled,
      createdAt: finite,
      // Damaged optional parts read as their defaults.
      attempts: (v) => (typeof v === 'number' && v >= 0 ? v : 0),
      failed: (v) => v === true || null,
      replyTo: lenient((v) => fields<ReplyTo>(v, { messageId: string, metadata: (m) => (Array.isArray(m) ? m : null) })),
    });
    return entry ? [entry] : [];
  });

export type Outbox = ReturnType<typeof createOutbox>;

export function createOutbox(store: LocalStore, tenant: string) {
  const key = `${tenant}#outbox`;
  const load = async () => parseEntries(await store.read(key));

  /** Read-modify-write under the tenant's outbox lock, so tabs never overwrite each other. */
  const change = (update: (entries: OutboxEntry[]) => OutboxEntry[]) =>
    withTenantLock(`${key}-write`, async () => {
      const next = update(await load());
      await (next.length ? store.write(key, next) : store.remove(key));
    });

  return {
    load,

    /** Patch the entry `clientId` where there is one; else add `entry`, if given. */
    put: (clientId: string, patch: Partial<Pick<OutboxEntry, 'attempts' | 'failed'>>, entry?: OutboxEntry) =>
      change((entries) =>
        entries.some((e) => e.clientId === clientId)
          ? entries.map((e) => (e.clientId === clientId ? { ...e, ...patch } : e))
          : entry
            ? [...entries, entry]
            : entries,
      ),

    remove: (clientId: string) => change((entries) => entries.filter((e) => e.clientId !== clientId)),

    /** Run the sender with this browser's single sending slot for the tenant. */
    whileSending: <T>(task: () => Promise<T>): Promise<T> => withTenantLock(`${key}-send`, task),
  };
}
