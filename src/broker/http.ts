/**
 * Plain `node:http` helpers: bounded body reading, JSON answers in the broker's error shape,
 * CORS for the browser routes (an allow-list; never on the webhook route), the client address
 * for rate limiting, and the visitor's bearer token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BrokerError } from './errors.ts';

export const JSON_LIMIT_BYTES = 64 * 1024;

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BrokerError(413, 'payload-too-large', `Body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new BrokerError(413, 'payload-too-large', `Body over ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** A JSON object body (empty body = `{}`). */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, JSON_LIMIT_BYTES);
  if (raw.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BrokerError(400, 'bad-request', 'Body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BrokerError(400, 'bad-request', 'Body must be a JSON object');
  return value as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204, { 'Cache-Control': 'no-store' });
  res.end();
}

export function sendError(res: ServerResponse, error: BrokerError): void {
  const headers: Record<string, string> = {};
  if (error.retryAfterSec !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSec)));
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, headers);
}

/** The bearer token of a browser request; tokens travel only in this header, never in URLs. */
export function bearerToken(req: IncomingMessage): string {
  const header = req.headers.authorization;
  if (!header) throw new BrokerError(401, 'visitor-token-missing', 'Authorization: Bearer <visitorToken> is required');
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  if (!match?.[1]) throw new BrokerError(401, 'visitor-token-invalid', 'Authorization must be "Bearer <visitorToken>"');
  return match[1];
}

/**
 * The client's address: the socket peer, or — behind `trustProxy` proxies that append to
 * X-Forwarded-For — the entry that many hops from the right (entries further left are the
 * client's own claims and could be forged).
 */
export function clientAddress(req: IncomingMessage, trustProxy: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustProxy <= 0) return peer;
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return forwarded[forwarded.length - trustProxy] ?? forwarded[0] ?? peer;
}

export const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, Last-Event-Id';
export const CORS_EXPOSE_HEADERS = 'Retry-After';

export class Cors {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  constructor(allowed: readonly string[]) {
    this.any = allowed.includes('*');
    this.origins = new Set(allowed.filter((o) => o !== '*'));
  }

  allows(origin: string): boolean {
    return this.any || this.origins.has(origin);
  }

  /**
   * Apply CORS to a browser route. Returns false when the request was answered here
   * (a preflight, or an origin not on the list).
   */
  handle(req: IncomingMessage, res: ServerResponse, methods: string): boolean {
    const origin = req.headers.origin;
    res.setHeader('Vary', 'Origin');
    if (origin !== undefined && !this.allows(origin)) {
      sendError(res, new BrokerError(403, 'origin-not-allowed', 'This origin may not use the broker (BROKER_ALLOWED_ORIGINS)'));
      return false;
    }
    if (origin !== undefined) {
      // Echo rather than "*": requests carry Authorization, which a wildcard does not cover.
      res.setHeader('Access-Control-Allow-Origin', origin);
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': methods,
        'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return false;
    }
    if (origin !== undefined) res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
    return true;
  }
}
