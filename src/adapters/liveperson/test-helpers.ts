/** Shared fakes for this folder's tests (not part of the adapter). */
import type { Clock } from '../types.ts';
import type { FetchLike } from './http.ts';

export function b64url(text: string): string {
  const binary = Array.from(new TextEncoder().encode(text), (byte) => String.fromCharCode(byte)).join('');
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function makeJwt(payload: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'sandbox-1' }))}.${b64url(JSON.stringify(payload))}.c2ln`;
}

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  credentials: RequestCredentials | undefined;
}

export type Route = (request: RecordedRequest) => Response | Promise<Response>;

/** A fetch that records requests and answers through `route`. */
export function fakeFetch(route: Route): { fetch: FetchLike; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetchFn: FetchLike = async (input, init) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const request: RecordedRequest = {
      url: input,
      method: init?.method ?? 'GET',
      headers,
      body: typeof init?.body === 'string' ? init.body : undefined,
      credentials: init?.credentials,
    };
    requests.push(request);
    return route(request);
  };
  return { fetch: fetchFn, requests };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
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
