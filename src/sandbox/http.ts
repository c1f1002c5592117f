/**
 * A small router over plain `node:http`: exact routes by method and path pattern, JSON bodies
 * with a size limit, and CORS for browser-facing routes. Two policies: the default echoes
 * `Origin` and exposes nothing beyond the CORS-safelisted response headers (LP contract §2 [SB]);
 * the Salesforce face's answers `*` with a fixed method and header list (SF contract §4).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const BODY_LIMIT_BYTES = 64 * 1024;

export interface CorsPolicy {
  /** Request headers a browser may send beyond the safelisted ones. */
  allowHeaders: readonly string[];
  /**
   * `'*'`: a wildcard `Access-Control-Allow-Origin` on every preflight and response, whether or
   * not the request had an `Origin` (Salesforce contract §4); default `'echo'` echoes `Origin`.
   */
  allowOrigin?: 'echo' | '*';
  /** A fixed `Access-Control-Allow-Methods`; default: GET, POST, the path's methods, OPTIONS. */
  allowMethods?: readonly string[];
  /** `Access-Control-Expose-Headers` on actual responses; default none. */
  exposeHeaders?: readonly string[];
}

/** LP's widget calls send only `Content-Type`; the agent/admin APIs need no more either. */
export const BROWSER_CORS: CorsPolicy = { allowHeaders: ['Content-Type'] };

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Capture groups of the route pattern, URI-decoded. */
  params: string[];
}

export type RouteHandler = (ctx: RouteContext) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  handler: RouteHandler;
  cors: CorsPolicy | undefined;
}

export class BodyTooLargeError extends Error {}

export class Router {
  private readonly routes: Route[] = [];

  /** `cors: null`: a server-to-server route, no CORS headers and no preflight (405). */
  add(method: 'GET' | 'POST' | 'DELETE', pattern: RegExp, handler: RouteHandler, cors: CorsPolicy | null = BROWSER_CORS): void {
    this.routes.push({ method, pattern, handler, cors: cors ?? undefined });
  }

  /** Handles the request if a route's path matches; returns false otherwise. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const matching = this.routes.filter((r) => r.pattern.test(url.pathname));
    const first = matching[0];
    if (!first) return false;
    if (req.method === 'OPTIONS') {
      if (!first.cors) {
        sendJson(res, 405, { error: 'Method not allowed' });
        return true;
      }
      answerPreflight(req, res, first.cors, matching.map((r) => r.method));
      return true;
    }
    const route = matching.find((r) => r.method === req.method);
    const cors = route?.cors ?? first.cors;
    if (cors) applyCors(req, res, cors);
    if (!route) {
      res.setHeader('Allow', [...new Set(matching.map((r) => r.method)), ...(first.cors ? ['OPTIONS'] : [])].join(', '));
      sendJson(res, 405, { error: 'Method not allowed' });
      return true;
    }
    const match = route.pattern.exec(url.pathname);
    const params = (match?.slice(1) ?? []).map((p) => safeDecode(p ?? ''));
    await route.handler({ req, res, url, params });
    return true;
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function applyCors(req: IncomingMessage, res: ServerResponse, cors: CorsPolicy = BROWSER_CORS): void {
  if (cors.allowOrigin === '*') {
    res.setHeader('Access-Control-Allow-Origin', '*');
  } else {
    const origin = req.headers.origin;
    res.setHeader('Vary', 'Origin');
    if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
  }
  if (cors.exposeHeaders && cors.exposeHeaders.length > 0) res.setHeader('Access-Control-Expose-Headers', cors.exposeHeaders.join(', '));
}

function answerPreflight(req: IncomingMessage, res: ServerResponse, cors: CorsPolicy, methods: string[]): void {
  applyCors(req, res, { ...cors, exposeHeaders: [] });
  if (req.headers.origin || cors.allowOrigin === '*') {
    res.setHeader('Access-Control-Allow-Methods', (cors.allowMethods ?? [...new Set(['GET', 'POST', ...methods, 'OPTIONS'])]).join(', '));
    res.setHeader('Access-Control-Allow-Headers', cors.allowHeaders.join(', '));
    res.setHeader('Access-Control-Max-Age', '600');
    // Private Network Access: a public page calling the local sandbox asks first.
    if (req.headers['access-control-request-private-network'] === 'true') {
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    }
  }
  res.statusCode = 204;
  res.end();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

export function sendHtml(res: ServerResponse, html: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.end(html);
}

/** Reads the raw body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > limit) throw new BodyTooLargeError(`body larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export type JsonBody = { ok: true; value: unknown; empty: boolean } | { ok: false; error: string };

/** Parses a JSON body; an empty body is `{ empty: true, value: undefined }`. */
export async function readJson(req: IncomingMessage): Promise<JsonBody> {
  let text: string;
  try {
    text = await readBody(req);
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : 'unreadable body' };
  }
  return parseJsonText(text);
}

export function parseJsonText(text: string): JsonBody {
  if (text.trim() === '') return { ok: true, value: undefined, empty: true };
  try {
    return { ok: true, value: JSON.parse(text) as unknown, empty: false };
  } catch {
    return { ok: false, error: 'body is not valid JSON' };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
