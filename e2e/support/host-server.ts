/**
 * The host site for e2e: serves the built widget (dist/) and host pages that embed it by its
 * script tag, as a site owner would. `/host?adapter=liveperson&...` renders a page whose
 * script tag carries the query parameters as data-* attributes.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.html': 'text/html; charset=utf-8' };

const escapeAttr = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const toAttribute = (key: string) => `data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Query parameters that shape the host page itself; every other one becomes a data-* attribute. */
const PAGE_PARAMS = new Set(['page', 'connect', 'img']);

/**
 * A page that paints everything it can reach: the widget must look the same on it (its shadow
 * root and `:host` rules are out of this stylesheet's reach).
 */
export const HOSTILE_CSS = `
* { font-family: "Comic Sans MS", cursive !important; font-size: 31px !important; line-height: 3 !important;
    color: #f0f !important; background: #ff0 !important; margin: 17px !important; padding: 13px !important;
    border: 5px dashed #f00 !important; box-sizing: content-box !important; display: block !important;
    text-align: right !important; letter-spacing: 4px !important; text-transform: uppercase !important;
    position: static !important; transform: rotate(2deg) !important; opacity: .9 !important; width: auto !important; }
div, button, section, dialog, input, textarea { all: unset !important; display: inline !important; }
[role=dialog], [aria-label], #guestchat { display: none !important; visibility: hidden !important; }
`;

export function hostPage(params: URLSearchParams, nonce: string): string {
  const attributes = [...params.entries()]
    .filter(([key]) => /^[a-zA-Z-]+$/.test(key) && !PAGE_PARAMS.has(key))
    .map(([key, value]) => `${toAttribute(key)}="${escapeAttr(value)}"`)
    .join(' ');
  const page = params.get('page');
  const style = page === 'hostile' ? '<link rel="stylesheet" href="/hostile.css">' : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Host page</title>${style}</head>
<body>
<main><h1>Northwind test shop</h1><p>Welcome to the host page.</p><button type="button" id="host-button">Host page button</button>
<p id="filler">${'Long host content. '.repeat(400)}</p></main>
<script async src="/dist/guestchat.js" nonce="${nonce}" ${attributes}></script>
</body>
</html>`;
}

/**
 * `?page=csp&connect=<origins>&img=<origins>`: the strict policy of issue 5 — no unsafe-inline,
 * no unsafe-eval. `img` is where the vendor keeps agent pictures (a site owner allows it too).
 */
function strictPolicy(nonce: string, connect: string, img: string): string {
  return `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self'; img-src 'self' ${img}; connect-src ${connect}; base-uri 'none'; object-src 'none'`;
}

export interface HostServer {
  url: string;
  close(): Promise<void>;
}

export async function startHostServer(): Promise<HostServer> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/host') {
      const nonce = randomBytes(12).toString('base64url');
      const headers: Record<string, string> = { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store' };
      if (url.searchParams.get('page') === 'csp') headers['Content-Security-Policy'] = strictPolicy(nonce, url.searchParams.get('connect') ?? "'self'", url.searchParams.get('img') ?? '');
      res.writeHead(200, headers);
      res.end(hostPage(url.searchParams, nonce));
      return;
    }
    if (url.pathname === '/module-host') {
      // A site that bundles GuestChat as an ES module: `import { mount } from 'guestchat'`.
      const options = JSON.stringify(Object.fromEntries(url.searchParams)).replace(/</g, '\\u003c');
      res.writeHead(200, { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store' });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Module host</title></head>
<body><main><h1>Bundled site</h1></main>
<script type="module">import { mount } from '/dist/esm/guestchat.js'; window.chat = mount(${options});</script></body></html>`);
      return;
    }
    if (url.pathname === '/hostile.css') {
      res.writeHead(200, { 'Content-Type': 'text/css', 'Cache-Control': 'no-store' });
      res.end(HOSTILE_CSS);
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
