/**
 * Service discovery through LivePerson's Domain API (contract §2, single-service form). Hosts
 * come back bare; they inherit the Domain API's scheme: https for the real service, http only
 * when the Domain API itself is http://localhost or http://127.0.0.1 (a local sandbox).
 */
import { ConfigError, CredentialsError } from './errors.ts';

export const BROKER_SERVICES = ['idp', 'asyncMessagingEnt', 'sentinel'] as const;
export type BrokerService = (typeof BROKER_SERVICES)[number];
export type ServiceOrigins = Record<BrokerService, string>;

const BARE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;

export async function discoverServices(
  domainApi: string,
  account: string,
  fetchImpl: typeof fetch = fetch,
): Promise<ServiceOrigins> {
  const scheme = new URL(domainApi).protocol; // 'https:' or (sandbox) 'http:'
  const entries = await Promise.all(
    BROKER_SERVICES.map(async (service): Promise<[BrokerService, string]> => {
      const url = `${domainApi}/api/account/${encodeURIComponent(account)}/service/${service}/baseURI.json?version=1.0`;
      let response: Response;
      try {
        response = await fetchImpl(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
      } catch (error) {
        throw new ConfigError(`Domain API ${domainApi} unreachable while looking up "${service}": ${(error as Error).message}`);
      }
      if (response.status === 401) {
        throw new CredentialsError(`Domain API: account ${account} is unknown (HTTP 401); check LP_ACCOUNT`, 401);
      }
      if (!response.ok) {
        throw new ConfigError(`Domain API: no "${service}" service for account ${account} (HTTP ${response.status})`);
      }
      const body = (await response.json().catch(() => undefined)) as { baseURI?: unknown } | undefined;
      const host = body?.baseURI;
      if (typeof host !== 'string' || !BARE_HOST.test(host)) {
        throw new ConfigError(`Domain API: unusable baseURI for "${service}"`);
      }
      return [service, `${scheme}//${host}`];
    }),
  );
  return Object.fromEntries(entries) as ServiceOrigins;
}
