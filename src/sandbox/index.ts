/**
 * The GuestChat sandbox (Node only): a local emulator of the vendors' public APIs, with an agent
 * face and an admin API. `startSandbox()` is the one entry point; browser code never imports this.
 */
import { loadOrCreateKeys } from './keys.ts';
import { SandboxServer } from './server.ts';

export interface SandboxOptions {
  /** 0 picks a free port. Default 8787. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where keys.json lives. Default `.sandbox/` at the repository root. */
  keysDir?: string;
  /** No log lines. */
  quiet?: boolean;
}

export interface RunningSandbox {
  /** Origin, e.g. `http://127.0.0.1:8787`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_SANDBOX_PORT = 8787;

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const log = options.quiet ? () => {} : (line: string) => console.log(`[sandbox] ${line}`);
  const keys = await loadOrCreateKeys(options.keysDir);
  const server = new SandboxServer(keys, log);
  const { url, port } = await server.listen(options.port ?? DEFAULT_SANDBOX_PORT, options.host ?? '127.0.0.1');
  return { url, port, close: () => server.close() };
}
