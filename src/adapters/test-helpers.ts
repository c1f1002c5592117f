/** Fakes the adapters' tests share (not part of any adapter). */
import type { FetchLike } from './http.ts';

export interface RecordedRequest {
  url: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** The body parsed as JSON, when it is JSON. */
  json: any;
  credentials: RequestCredentials | undefined;
  cache: RequestCache | undefined;
  signal: AbortSignal | undefined;
}

export type Route = (request: RecordedRequest) => Response | Promise<Response>;

const parsed = (body: string | undefined): unknown => {
  try {
    return body === undefined ? undefined : JSON.parse(body);
  } catch {
    return undefined;
  }
};

/** A fetch that records requests and answers through `route` (an already aborted signal rejects, as fetch does). */
export function fakeFetch(route: Route): { fetch: FetchLike; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetchFn: FetchLike = async (input, init) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const body = typeof init?.body === 'string' ? init.body : undefined;
    const request: RecordedRequest = {
      url: input,
      path: new URL(input).pathname,
      method: init?.method ?? 'GET',
      headers,
      body,
      json: parsed(body),
      credentials: init?.credentials,
      cache: init?.cache,
      signal: init?.signal ?? undefined,
    };
    requests.push(request);
    if (init?.signal?.aborted) throw new DOMException('Aborted', 'AbortError');
    return route(request);
  };
  return { fetch: fetchFn, requests };
}

export function json(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}
