/** Fakes the session's tests share (not part of the session). */
import type { LocalStore } from '../auth/index.ts';

/** A LocalStore in memory, with its entries open to the test (`data`). */
export function memoryStore(entries: [string, unknown][] = []): LocalStore & { data: Map<string, unknown> } {
  const data = new Map(entries);
  return {
    data,
    read: async (key) => data.get(key),
    write: async (key, value) => void data.set(key, value),
    remove: async (key) => void data.delete(key),
    forgetAll: async () => data.clear(),
  };
}
