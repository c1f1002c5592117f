/**
 * `npm run broker`: the broker from the environment (README: "Environment"). A configuration
 * or credential problem is printed for the site owner, without any secret, and exits 1.
 */
import { ConfigError, CredentialsError, loadConfig, startBroker } from './index.ts';

try {
  const config = loadConfig(process.env);
  const broker = await startBroker({ config });
  console.log(`GuestChat broker listening on ${broker.url} (${broker.mode} mode, account ${config.account})`);
  console.log(`Register this webhook endpoint for the app "${config.clientId}": ${broker.webhookUrl}`);
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    broker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (error) {
  if (error instanceof ConfigError || error instanceof CredentialsError) {
    console.error(`GuestChat broker cannot start: ${error.message}`);
  } else {
    console.error(`GuestChat broker cannot start: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'}`);
  }
  process.exit(1);
}
