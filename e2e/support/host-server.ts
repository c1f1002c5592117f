/**
 * The host site for e2e: serves the built widget (dist/) and host pages that embed it by its
 * script tag, as a site owner would. `/host?adapter=liveperson&...` renders a page whose
 * script tag carries the query parameters as data-* attributes.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.html': 'text/html; charset=utf-8' };

const escapeAttr = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const toAttribute = (key: string) => `data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export function hostPage(params: URLSearchParams): string {
  const attributes = [...params.entries()]
    .filter(([key]) => /^[a-zA-Z-]+$/.test(key) && key !== 'body')
    .map(([key, value]) => `${toAttribute(key)}="${escapeAttr(value)}"`)
    .join(' ');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Host page</title></head>
<body>
<main><h1>Northwind test shop</h1><p>Welcome to the host page.</p><button type="button" id="host-button">Host page button</button></main>
<script async src="/dist/guestchat.js" ${attributes}></script>
</body>
</html>`;
}

export interface HostServer {
  url: string;
  close(): Promise<void>;
}

export async function startHostServer(): Promise<HostServer> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/host') {
      res.writeHead(200, { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store' });
      res.end(hostPage(url.searchParams));
      return;
    }
    if (url.pathname.startsWith('/dist/')) {
      const file = normalize(join(ROOT, decodeURIComponent(url.pathname)));
      if (file.startsWith(DIST)) {
        try {
          const body = await readFile(file);
          res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
          res.end(body);
          return;
        } catch {
          // fall through to 404
        }
      }
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://localhost:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
