/**
 * The admin API (DESIGN.md "Public contracts"): clock, lifetimes, call counts, faults, drops,
 * reset, and the identity list and revocation the QA panel shows. Not counted in /admin/calls.
 */
import type { SandboxContext } from './context.ts';
import { isSendableCloseCode, parseFaultRequest } from './faults.ts';
import { isRecord, readJson, sendJson, type RouteContext, type Router } from './http.ts';
import { parseLifetimesUpdate } from './lifetimes.ts';

export interface TokenListing {
  adapter: 'liveperson' | 'salesforce';
  subject: string;
  firstIssuedAt: number;
  windowEndsAt: number;
  externalExpiresAt: number | null;
  internalExpiresAt: number | null;
  revoked: boolean;
  [extra: string]: unknown;
}

/** What the admin API needs from the vendor faces. */
export interface AdminFaces {
  drop(adapter: 'liveperson' | 'salesforce' | undefined, closeCode: number | undefined): number;
  tokens(): TokenListing[];
  revoke(subject: string | undefined): string[];
}

const ADAPTERS = ['liveperson', 'salesforce'] as const;

export function addAdminRoutes(router: Router, sandbox: SandboxContext, faces: AdminFaces): void {
  const clockState = (): { now: number; offsetMs: number } => ({ now: sandbox.clock.now(), offsetMs: sandbox.clock.offsetMs });

  router.add('GET', /^\/admin\/clock$/, ({ res }) => sendJson(res, 200, clockState()));
  router.add('POST', /^\/admin\/clock$/, (ctx) =>
    withBody(ctx, (body) => {
      const { advanceMs } = body;
      if (typeof advanceMs !== 'number' || !Number.isFinite(advanceMs) || advanceMs < 0) {
        return sendJson(ctx.res, 400, { error: 'advanceMs must be a non-negative number (the clock only moves forward)' });
      }
      sandbox.clock.advance(advanceMs);
      sendJson(ctx.res, 200, clockState());
    }),
  );

  router.add('GET', /^\/admin\/lifetimes$/, ({ res }) => sendJson(res, 200, { ...sandbox.lifetimes }));
  router.add('POST', /^\/admin\/lifetimes$/, (ctx) =>
    withBody(ctx, (body) => {
      const update = parseLifetimesUpdate(body);
      if (typeof update === 'string') return sendJson(ctx.res, 400, { error: update });
      // Applies to tokens issued and sockets opened from now on.
      Object.assign(sandbox.lifetimes, update);
      sendJson(ctx.res, 200, { ...sandbox.lifetimes });
    }),
  );

  router.add('GET', /^\/admin\/calls$/, ({ res }) => sendJson(res, 200, sandbox.calls.snapshot()));
  // `?call=<name>` narrows the log to one call.
  router.add('GET', /^\/admin\/calls\/log$/, ({ res, url }) => sendJson(res, 200, sandbox.calls.entries(url.searchParams.get('call') ?? undefined)));

  router.add('GET', /^\/admin\/faults$/, ({ res }) => sendJson(res, 200, sandbox.faults.list()));
  router.add('POST', /^\/admin\/faults$/, (ctx) =>
    withBody(ctx, (body) => {
      const parsed = parseFaultRequest(body);
      if (typeof parsed === 'string') return sendJson(ctx.res, 400, { error: parsed });
      sandbox.faults.add(parsed.spec, parsed.times);
      sendJson(ctx.res, 200, sandbox.faults.list());
    }),
  );
  router.add('DELETE', /^\/admin\/faults$/, ({ res }) => {
    sandbox.faults.clear();
    sendJson(res, 200, []);
  });

  router.add('POST', /^\/admin\/drop$/, (ctx) =>
    withBody(ctx, (body) => {
      const { adapter, closeCode } = body;
      if (adapter !== undefined && !(ADAPTERS as readonly unknown[]).includes(adapter)) {
        return sendJson(ctx.res, 400, { error: `adapter must be one of ${ADAPTERS.join(', ')}` });
      }
      if (closeCode !== undefined && !isSendableCloseCode(closeCode) && closeCode !== 1006) {
        return sendJson(ctx.res, 400, { error: 'closeCode must be 1000-1014 (not 1004/1005), 1006 (no close frame) or 3000-4999' });
      }
      const dropped = faces.drop(adapter as 'liveperson' | 'salesforce' | undefined, closeCode as number | undefined);
      sendJson(ctx.res, 200, { dropped });
    }),
  );

  router.add('POST', /^\/admin\/reset$/, (ctx) =>
    withBody(ctx, () => {
      sandbox.reset();
      sendJson(ctx.res, 200, { ok: true });
    }),
  );

  router.add('GET', /^\/admin\/tokens$/, ({ res }) => sendJson(res, 200, faces.tokens()));
  router.add('POST', /^\/admin\/revoke$/, (ctx) =>
    withBody(ctx, (body) => {
      if (body.subject !== undefined && typeof body.subject !== 'string') return sendJson(ctx.res, 400, { error: 'subject must be a string' });
      sendJson(ctx.res, 200, { revoked: faces.revoke(body.subject) });
    }),
  );
}

/** An optional JSON object body. */
async function withBody(ctx: RouteContext, handle: (body: Record<string, unknown>) => void): Promise<void> {
  const parsed = await readJson(ctx.req);
  if (!parsed.ok) return sendJson(ctx.res, 400, { error: parsed.error });
  const body = parsed.empty ? {} : parsed.value;
  if (!isRecord(body)) return sendJson(ctx.res, 400, { error: 'body must be a JSON object' });
  handle(body);
}
