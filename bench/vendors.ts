/**
 * What differs between vendors for the bench: the script-tag attributes and the token calls the
 * sandbox counts. Mirrors `VENDORS` in e2e/support/fixtures.ts (which belongs to the test runner).
 */
export type AdapterName = 'liveperson' | 'salesforce';

export const ADAPTERS: readonly AdapterName[] = ['liveperson', 'salesforce'];

export const VENDOR_ATTRIBUTES: Record<AdapterName, (sandbox: string) => Record<string, string>> = {
  liveperson: (sandbox) => ({ adapter: 'liveperson', account: '12345678', connectorId: 'guestchat-unauth', domainApi: sandbox }),
  salesforce: (sandbox) => ({ adapter: 'salesforce', scrtUrl: sandbox, orgId: '00D5e000000SBOX', deployment: 'GuestChat_Sandbox' }),
};

export const TOKEN_CALLS: Record<AdapterName, readonly string[]> = {
  liveperson: ['lp.anonymous.issue', 'lp.anonymous.refresh', 'lp.authenticate'],
  salesforce: ['sf.token', 'sf.continuation'],
};

/** `name×count, …` of the token calls in a /admin/calls diff, or `none`. */
export function tokenCallText(adapter: AdapterName, diff: Record<string, number>): string {
  const parts = TOKEN_CALLS[adapter].filter((name) => diff[name]).map((name) => `${name}×${diff[name]}`);
  return parts.length ? parts.join(', ') : 'none';
}
