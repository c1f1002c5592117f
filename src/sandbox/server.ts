/**
 * One plain `node:http` server for every face of the sandbox, on one origin: the LivePerson face
 * (HTTP + WebSocket upgrade), the Salesforce face (REST + SSE), the agent API and console, and
 * the admin API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addAdminRoutes, type TokenListing } from './admin.ts';
import { AgentDesk, addAgentRoutes } from './agent.ts';
import { SandboxContext } from './context.ts';
import { Router, sendJson } from './http.ts';
import type { SigningKeys } from './keys.ts';
import { ConnectorFace } from './liveperson/connector/index.ts';
import { LivePersonFace } from './liveperson/index.ts';
import { SalesforceFace } from './salesforce/index.ts';

export class SandboxServer {
  readonly context: SandboxContext;
  readonly liveperson: LivePersonFace;
  /** LivePerson's Connector API (server-to-server) and its webhooks. */
  readonly connector: ConnectorFace;
  readonly salesforce: SalesforceFace;
  readonly agents: AgentDesk;
  private readonly server: Server;
  private readonly router = new Router();

  constructor(keys: SigningKeys, log: (line: string) => void) {
    this.context = new SandboxContext(keys, undefined, log);
    this.liveperson = new LivePersonFace(this.context);
    this.connector = new ConnectorFace(this.context);
    this.salesforce = new SalesforceFace(this.context);
    this.agents = new AgentDesk(this.context);
    this.agents.useVendor('salesforce', this.salesforce.conversations.agentHooks());
    this.liveperson.addRoutes(this.router);
    this.connector.addRoutes(this.router);
    this.salesforce.addRoutes(this.router);
    addAgentRoutes(this.router, this.context, this.agents);
    addAdminRoutes(this.router, this.context, {
      drop: (adapter, closeCode) =>
        (adapter === undefined || adapter === 'liveperson' ? this.liveperson.drop(closeCode) : 0) +
        (adapter === undefined || adapter === 'salesforce' ? this.salesforce.drop(closeCode) : 0),
      tokens: () => [
        ...this.liveperson.tokens.list().map(
          (r): TokenListing => ({
            adapter: r.adapter,
            subject: r.subject,
            firstIssuedAt: r.firstIssuedAt,
            windowEndsAt: r.windowEndsAt,
            externalExpiresAt: r.externalExpiresAt,
            internalExpiresAt: r.internalExpiresAt,
            revoked: r.revoked,
            tenant: r.account,
            identityId: r.identityId,
          }),
        ),
        ...this.salesforce.listTokens(),
      ],
      revoke: (subject) => [...new Set([...this.liveperson.revoke(subject), ...this.salesforce.revoke(subject)])],
    });

    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
      this.router
        .handle(req, res, url)
        .then((handled) => {
          if (!handled) sendJson(res, 404, { error: 'Not found' });
        })
        .catch((error: unknown) => {
          console.error('[sandbox] request failed:', error);
          if (!res.headersSent) sendJson(res, 500, { error: 'Internal sandbox error' });
          else res.destroy();
        });
    });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
      socket.on('error', () => socket.destroy());
      if (!this.liveperson.handleUpgrade(req, socket, head, url)) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      }
    });
  }

  async listen(port: number, host: string): Promise<{ url: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    // A wildcard bind is reached locally through the loopback address.
    const reachable = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
    const hostPart = reachable.includes(':') ? `[${reachable}]` : reachable;
    this.context.origin = `http://${hostPart}:${address.port}`;
    return { url: this.context.origin, port: address.port };
  }

  async close(): Promise<void> {
    await this.liveperson.close();
    this.connector.close();
    this.salesforce.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
