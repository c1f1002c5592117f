/**
 * Agent public profile (contract §5.13): `GET /api/account/{acc}/configuration/le-users/users/{pid}`,
 * no auth. Only the simulated agent is known; anything else is 404.
 *
 * [SB] The simulated agent's `pictureUrl` is a small SVG on the sandbox's own origin
 * (`/agent/avatar.svg`), so the widget shows a picture offline. The widget loads it only because
 * it is on the configured (local) Domain API's origin; a real account's pictures are https.
 */
import type { ServerResponse } from 'node:http';
import type { SandboxContext } from '../context.ts';
import { sendJson, type Router } from '../http.ts';

export const AGENT_AVATAR_PATH = '/agent/avatar.svg';

/** A plain initial on a coloured disc; no script, no external references. */
export const AGENT_AVATAR_SVG = [
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" role="img" aria-label="Alex">',
  '<circle cx="32" cy="32" r="32" fill="#3b5bdb"/>',
  '<text x="32" y="41" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" font-size="28" font-weight="700" fill="#ffffff">A</text>',
  '</svg>',
].join('');

function sendAvatar(res: ServerResponse): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'image/svg+xml');
  res.setHeader('Content-Length', Buffer.byteLength(AGENT_AVATAR_SVG));
  // Loaded as an <img> from the widget's page, another origin (and pages with COEP need this).
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Opened on its own, the SVG may not run or fetch anything.
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  res.setHeader('Cache-Control', 'public, max-age=3600');
  res.end(AGENT_AVATAR_SVG);
}

export function addProfileRoutes(router: Router, sandbox: SandboxContext): void {
  router.add('GET', /^\/api\/account\/([^/]+)\/configuration\/le-users\/users\/([^/]+)$/, async ({ res, params }) => {
    if (await sandbox.enterHttpCall('lp.profile', res, () => ({ error: 'Injected fault' }))) return;
    const [account = '', pid = ''] = params;
    if (!sandbox.tenants.liveperson.has(account)) return sendJson(res, 401, { error: `Invalid account ${account}` });
    const profile = sandbox.core.agentProfile(pid);
    if (!profile) return sendJson(res, 404, { error: `Unknown user ${pid}` });
    sendJson(res, 200, {
      pictureUrl: profile.pictureUrl || `${sandbox.origin}${AGENT_AVATAR_PATH}`,
      employeeId: profile.employeeId,
      nickname: profile.nickname,
      fullName: profile.fullName,
    });
  });
  router.add('GET', /^\/agent\/avatar\.svg$/, ({ res }) => sendAvatar(res));
}
