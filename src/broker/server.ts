/**
 * The HTTP server: browser routes under /v1 (CORS allow-list), the webhook route (no CORS),
 * and /healthz. Routing is a short table; handlers live in api.ts, sse.ts and webhook.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { BrowserApi } from './api.ts';
import { BrokerError, scrub, toBrowserError } from './errors.ts';
import { Cors, sendError, sendJson } from './http.ts';
import type { EventStreams } from './sse.ts';
import { WEBHOOK_PATH, type WebhookReceiver } from './webhook.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void>;

interface Route {
  pattern: RegExp;
  methods: Record<string, Handler>;
}

export interface ServerParts {
  api: BrowserApi;
  streams: EventStreams;
  webhook: WebhookReceiver;
  cors: Cors;
  secrets: string[];
  log: (line: string) => void;
}

export function createBrokerServer(parts: ServerParts): Server {
  const { api, streams, webhook, cors } = parts;
  const conversation = '/v1/conversations/([A-Za-z0-9._:-]{1,128})';
  const routes: Route[] = [
    { pattern: /^\/v1\/visitors$/, methods: { POST: (q, s) => api.issueVisitor(q, s) } },
    { pattern: /^\/v1\/visitors\/refresh$/, methods: { POST: (q, s) => api.refreshVisitor(q, s) } },
    { pattern: /^\/v1\/conversations$/, methods: { POST: (q, s) => api.createConversation(q, s) } },
    { pattern: /^\/v1\/conversations\/open$/, methods: { GET: (q, s) => api.openConversation(q, s) } },
    { pattern: new RegExp(`^${conversation}/messages$`), methods: { POST: (q, s, [id = '']) => api.sendMessage(q, s, id) } },
    { pattern: new RegExp(`^${conversation}/typing$`), methods: { POST: (q, s, [id = '']) => api.typing(q, s, id) } },
    { pattern: new RegExp(`^${conversation}/read$`), methods: { POST: (q, s, [id = '']) => api.read(q, s, id) } },
    { pattern: new RegExp(`^${conversation}/close$`), methods: { POST: (q, s, [id = '']) => api.close(q, s, id) } },
    { pattern: /^\/v1\/events$/, methods: { GET: (q, s) => streams.handle(q, s) } },
  ];

  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://broker').pathname;
    if (path === WEBHOOK_PATH) return webhook.handle(req, res);
    if (path === '/healthz') return sendJson(res, 200, { ok: true });
    for (const route of routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      if (!cors.handle(req, res, [...Object.keys(route.methods), 'OPTIONS'].join(', '))) return;
      const handler = route.methods[req.method ?? ''];
      if (!handler) {
        res.setHeader('Allow', [...Object.keys(route.methods), 'OPTIONS'].join(', '));
        return sendError(res, new BrokerError(405, 'method-not-allowed', 'Method not allowed'));
      }
      return handler(req, res, match.slice(1).map((p) => p ?? ''));
    }
    sendError(res, new BrokerError(404, 'not-found', 'No such route'));
  };

  return createServer((req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      if (!(error instanceof BrokerError)) parts.log(`unhandled error: ${error instanceof Error ? scrub(`${error.name}: ${error.message}`, parts.secrets) : 'unknown'}`);
      if (res.headersSent) res.end();
      else sendError(res, toBrowserError(error, parts.secrets));
    });
  });
}
