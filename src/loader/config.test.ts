// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { DEFAULT_DOMAIN_API, readConfig } from './config.ts';

const lp = { adapter: 'liveperson', account: '12345678', connectorId: 'guestchat-unauth', domainApi: 'http://127.0.0.1:8787' };
const sf = { adapter: 'salesforce', scrtUrl: 'http://127.0.0.1:8787', orgId: '00D5e000000SBOX', deployment: 'GuestChat_Sandbox' };

/** What readConfig returns, and the problems it reported. */
function read(data: Record<string, string | undefined>) {
  const issues: [string, string][] = [];
  const parsed = readConfig(data, (reason, message) => issues.push([reason, message]));
  return { issues, parsed };
}
const reasons = (data: Record<string, string | undefined>) => read(data).issues.map(([reason, message]) => `${reason} ${message.split(' ')[1]}`);

describe('read()', () => {
  it('accepts a LivePerson tag and derives the tenant key', () => {
    const { issues, parsed } = read(lp);
    expect(issues).toEqual([]);
    expect(parsed?.config).toEqual(lp);
    expect(parsed?.tenant).toBe('liveperson:12345678:guestchat-unauth');
    // The attributes as written go to the app too (title, sound, debug), with the checked options.
    expect(parsed?.options).toEqual({ ...lp, locale: 'en', position: 'bottom-right' });
  });

  it('defaults the Domain API to LivePerson production and strips a trailing slash', () => {
    const { domainApi, ...rest } = lp;
    expect(read(rest).parsed?.config).toEqual({ ...rest, domainApi: DEFAULT_DOMAIN_API });
    expect(read({ ...lp, domainApi: `${domainApi}/` }).parsed?.config).toEqual(lp);
    const url = (domainApi: string) => read({ ...lp, domainApi }).parsed?.config;
    expect(url('https://a.example.com///')).toMatchObject({ domainApi: 'https://a.example.com' });
    expect(url('https://a.example.com:8443/base/api//')).toMatchObject({ domainApi: 'https://a.example.com:8443/base/api' });
    expect(url('https://a.example.com//base')).toMatchObject({ domainApi: 'https://a.example.com//base' });
  });

  it('accepts a Salesforce tag (15- and 18-character org ids)', () => {
    expect(read(sf).parsed?.config).toEqual(sf);
    const long = read({ ...sf, orgId: '00D5e000000SBOXEAA' }).parsed;
    expect(long?.config).toEqual(sf);
    expect(long?.tenant).toBe('salesforce:00D5e000000SBOX:GuestChat_Sandbox');
  });

  it('keys the broker mode by its URL', () => {
    const result = read({ adapter: 'liveperson-connector', brokerUrl: 'https://chat-broker.example.com/' });
    expect(result.parsed?.tenant).toBe('liveperson-connector:https://chat-broker.example.com');
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
    expect(read({ adapter: 'liveperson' }).parsed).toBeUndefined();
  });

  it('names every malformed attribute', () => {
    expect(reasons({ adapter: 'zendesk' })).toEqual(['config-bad-adapter data-adapter']);
    expect(reasons({ ...lp, account: '12ab' })).toEqual(['config-bad-account data-account']);
    expect(reasons({ ...lp, connectorId: 'a b' })).toEqual(['config-bad-connector-id data-connector-id']);
    for (const orgId of ['12345', '00D5e000000SBOXE', '00D5e000000SBOXEAAB']) expect(reasons({ ...sf, orgId })).toEqual(['config-bad-org-id data-org-id']);
    expect(reasons({ ...sf, deployment: '1abc' })).toEqual(['config-bad-deployment data-deployment']);
    expect(reasons({ ...sf, scrtUrl: 'ftp://x' })).toEqual(['config-bad-scrt-url data-scrt-url']);
  });

  it('refuses plain http except on this machine, and URLs with credentials or queries', () => {
    for (const domainApi of ['http://api.example.com', 'javascript:alert(1)', 'https://u:p@api.liveperson.net', 'https://api.liveperson.net/?x=1', 'https://api.liveperson.net/#x', 'https://api.liveperson.net/a b', 'not a url']) {
      expect(reasons({ ...lp, domainApi })).toEqual(['config-bad-domain-api data-domain-api']);
    }
    for (const domainApi of ['http://localhost:8787', 'https://api.liveperson.net']) expect(read({ ...lp, domainApi }).parsed).toBeDefined();
  });

  it('reports a bad presentation option but keeps the widget working with the default', () => {
    const { issues, parsed } = read({ ...lp, position: 'middle', color: 'red;background:url(x)', locale: 'he' });
    expect(parsed?.options.position).toBe('bottom-right');
    expect(parsed?.options.color).toBeUndefined();
    expect(parsed?.options.locale).toBe('he');
    for (const color of ['#0B5FFF', 'RGB(11, 95, 255)', 'hsla(220 100% 52% / .5)', 'RebeccaPurple']) expect(read({ ...lp, color }).parsed?.options.color).toBe(color);
    expect(issues).toEqual([
      ['config-bad-option', 'bad data-position'],
      ['config-bad-option', 'bad data-color'],
    ]);
  });
});
