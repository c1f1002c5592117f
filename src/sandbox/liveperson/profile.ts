/**
 * Agent public profile (contract §5.13): `GET /api/account/{acc}/configuration/le-users/users/{pid}`,
 * no auth. Only the simulated agent is known; anything else is 404.
 */
import type { SandboxContext } from '../context.ts';
import { sendJson, type Router } from '../http.ts';

export function addProfileRoutes(router: Router, sandbox: SandboxContext): void {
  router.add('GET', /^\/api\/account\/([^/]+)\/configuration\/le-users\/users\/([^/]+)$/, async ({ res, params }) => {
    if (await sandbox.enterHttpCall('lp.profile', res, () => ({ error: 'Injected fault' }))) return;
    const [account = '', pid = ''] = params;
    if (!sandbox.tenants.liveperson.has(account)) return sendJson(res, 401, { error: `Invalid account ${account}` });
    const profile = sandbox.core.agentProfile(pid);
    if (!profile) return sendJson(res, 404, { error: `Unknown user ${pid}` });
    sendJson(res, 200, {
      pictureUrl: profile.pictureUrl,
      employeeId: profile.employeeId,
      nickname: profile.nickname,
      fullName: profile.fullName,
    });
  });
}
