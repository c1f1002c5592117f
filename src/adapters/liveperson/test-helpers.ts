/** Shared fakes for this folder's tests (not part of the adapter). */
import type { Clock } from '../types.ts';
export { fakeFetch, json, type RecordedRequest, type Route } from '../test-helpers.ts';

export function b64url(text: string): string {
  const binary = Array.from(new TextEncoder().encode(text), (byte) => String.fromCharCode(byte)).join('');
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function makeJwt(payload: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'sandbox-1' }))}.${b64url(JSON.stringify(payload))}.c2ln`;
}

export function fixedClock(start = 1_700_000_000_000): Clock & { t: number; observed: Array<[number, number | undefined]> } {
  const clock = {
    t: start,
    observed: [] as Array<[number, number | undefined]>,
    now: () => clock.t,
    observeServerTime: (serverNow: number, localAt?: number) => {
      clock.observed.push([serverNow, localAt]);
    },
  };
  return clock;
}
