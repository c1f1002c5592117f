/** `npm run sandbox`: the sandbox alone, on SANDBOX_PORT (default 8787). */
import { DEFAULT_SANDBOX_PORT, startSandbox } from './index.ts';

const port = process.env.SANDBOX_PORT ? Number(process.env.SANDBOX_PORT) : DEFAULT_SANDBOX_PORT;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`SANDBOX_PORT must be a port number, got "${process.env.SANDBOX_PORT}"`);
  process.exit(1);
}

const sandbox = await startSandbox({ port, host: '127.0.0.1' });
console.log(`GuestChat sandbox listening on ${sandbox.url}`);
console.log(`Agent console: ${sandbox.url}/agent`);

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  sandbox.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
