/**
 * Test-only: a broker in-process against a fake or sandbox LivePerson, with a `call` helper that
 * records every answer (status, headers, body) so tests can assert no credential ever leaks.
 */
import type { BrokerConfig } from '../config.ts';
import { startBroker, type BrokerOptions, type RunningBroker } from '../index.ts';
import { FAKE_ACCOUNT, FAKE_CLIENT_ID, FAKE_SECRET } from './fake-liveperson.ts';

export const TEST_ORIGIN = 'http://localhost:5173';

export function testConfig(domainApi: string, overrides: Partial<BrokerConfig> = {}): BrokerConfig {
  return {
    account: FAKE_ACCOUNT,
    clientId: FAKE_CLIENT_ID,
    clientSecret: FAKE_SECRET,
    domainApi,
    port: 0,
    host: '127.0.0.1',
    publicUrl: 'http://localhost:0',
    secret: 'test-broker-secret-of-32-bytes-or-more',
    allowedOrigins: [TEST_ORIGIN],
    trustProxy: 0,
    ...overrides,
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: any;
}

export class BrokerHarness {
  readonly answers: Answer[] = [];
  constructor(readonly broker: RunningBroker) {}

  static async start(domainApi: string, overrides: Partial<BrokerConfig> = {}, options: Partial<BrokerOptions> = {}): Promise<BrokerHarness> {
    return new BrokerHarness(await startBroker({ config: testConfig(domainApi, overrides), quiet: true, ...options }));
  }

  get url(): string {
    return this.broker.url;
  }

  async call(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { Origin: TEST_ORIGIN, ...options.headers };
    if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    const answer: Answer = {
      status: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      text,
      json: text ? JSON.parse(text) : undefined,
    };
    this.answers.push(answer);
    return answer;
  }

  async visitor(): Promise<{ visitorToken: string; visitorId: string }> {
    const answer = await this.call('POST', '/v1/visitors');
    if (answer.status !== 201) throw new Error(`visitor ${answer.status} ${answer.text}`);
    return answer.json;
  }

  close(): Promise<void> {
    return this.broker.close();
  }
}
