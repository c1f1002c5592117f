/**
 * Cross-tab single flight. Renewals of one tenant's tokens run one at a time per browser under a
 * Web Lock; where Web Locks are missing (old browsers, insecure origins) a per-page queue keeps
 * at least this page's renewals in single file.
 */
const localQueues = new Map<string, Promise<unknown>>();

export function withTenantLock<T>(tenant: string, task: () => Promise<T>): Promise<T> {
  const name = `guestchat:${tenant}`;
  const locks = globalThis.navigator?.locks;
  if (locks) return locks.request(name, task) as Promise<T>;
  const previous = localQueues.get(name) ?? Promise.resolve();
  const run = previous.then(task, task);
  localQueues.set(name, run.catch(() => undefined));
  return run;
}
