// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { DEFAULT_DOMAIN_API, readConfig } from './config.ts';

const lp = { adapter: 'liveperson', account: '12345678', connectorId: 'guestchat-unauth', domainApi: 'http://127.0.0.1:8787' };
const sf = { adapter: 'salesforce', scrtUrl: 'http://127.0.0.1:8787', orgId: '00D5e000000SBOX', deployment: 'GuestChat_Sandbox' };

const reasons = (data: Record<string, string | undefined>) => readConfig(data).issues.map((i) => `${i.reason} ${i.message.split(' ')[0]}`);

describe('readConfig()', () => {
  it('accepts a LivePerson tag and derives the tenant key', () => {
    const result = readConfig(lp);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toEqual(lp);
    expect(result.tenant).toBe('liveperson:12345678:guestchat-unauth');
    expect(result.options).toEqual({ locale: 'en', position: 'bottom-right' });
  });

  it('defaults the Domain API to LivePerson production and strips a trailing slash', () => {
    const { domainApi, ...rest } = lp;
    const result = readConfig(rest);
    expect(result.ok && result.config.adapter === 'liveperson' && result.config.domainApi).toBe(DEFAULT_DOMAIN_API);
    const slash = readConfig({ ...lp, domainApi: `${domainApi}/` });
    expect(slash.ok && slash.config.adapter === 'liveperson' && slash.config.domainApi).toBe('http://127.0.0.1:8787');
  });

  it('accepts a Salesforce tag (15- and 18-character org ids)', () => {
    expect(readConfig(sf).ok).toBe(true);
    const long = readConfig({ ...sf, orgId: '00D5e000000SBOXEAA' });
    expect(long.ok && long.tenant).toBe('salesforce:00D5e000000SBOX:GuestChat_Sandbox');
  });

  it('names every missing required attribute', () => {
    expect(reasons({})).toEqual(['config-missing-adapter data-adapter']);
    expect(reasons({ adapter: 'liveperson' })).toEqual([
      'config-missing-account data-account',
      'config-missing-connector-id data-connector-id',
    ]);
    expect(reasons({ adapter: 'salesforce' })).toEqual([
      'config-missing-scrt-url data-scrt-url',
      'config-missing-org-id data-org-id',
      'config-missing-deployment data-deployment',
    ]);
    expect(readConfig({ adapter: 'liveperson' }).ok).toBe(false);
  });

  it('names every malformed attribute', () => {
    expect(reasons({ adapter: 'zendesk' })).toEqual(['config-bad-adapter data-adapter']);
    expect(reasons({ ...lp, account: '12ab' })).toEqual(['config-bad-account data-account']);
    expect(reasons({ ...lp, connectorId: 'a b' })).toEqual(['config-bad-connector-id data-connector-id']);
    expect(reasons({ ...sf, orgId: '12345' })).toEqual(['config-bad-org-id data-org-id']);
    expect(reasons({ ...sf, deployment: '1abc' })).toEqual(['config-bad-deployment data-deployment']);
    expect(reasons({ ...sf, scrtUrl: 'ftp://x' })).toEqual(['config-bad-scrt-url data-scrt-url']);
  });

  it('refuses plain http except on this machine, and URLs with credentials or queries', () => {
    for (const domainApi of ['http://api.example.com', 'javascript:alert(1)', 'https://u:p@api.liveperson.net', 'https://api.liveperson.net/?x=1', 'not a url']) {
      expect(reasons({ ...lp, domainApi })).toEqual(['config-bad-domain-api data-domain-api']);
    }
    for (const domainApi of ['http://localhost:8787', 'https://api.liveperson.net']) expect(readConfig({ ...lp, domainApi }).ok).toBe(true);
  });

  it('reports a bad presentation option but keeps the widget working with the default', () => {
    const result = readConfig({ ...lp, position: 'middle', color: 'red;background:url(x)', locale: 'he' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.options.position).toBe('bottom-right');
    expect(result.options.color).toBeUndefined();
    expect(result.options.locale).toBe('he');
    expect(result.issues.map((i) => i.message)).toEqual(['data-position is invalid', 'data-color is invalid']);
  });
});
