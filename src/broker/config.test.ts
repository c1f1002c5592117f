import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const base = { LP_ACCOUNT: '12345678', LP_CLIENT_ID: 'app', LP_CLIENT_SECRET: 's' };

describe('broker config', () => {
  it('applies defaults', () => {
    expect(loadConfig(base)).toEqual({
      account: '12345678',
      clientId: 'app',
      clientSecret: 's',
      domainApi: 'https://api.liveperson.net',
      port: 8788,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:8788',
      allowedOrigins: [],
      trustProxy: 0,
    });
  });

  it('names the variable at fault and never echoes the secret', () => {
    expect(() => loadConfig({ ...base, LP_CLIENT_SECRET: '' })).toThrow('LP_CLIENT_SECRET is required');
    expect(() => loadConfig({ ...base, LP_DOMAIN_API: 'http://api.example.com' })).toThrow(/LP_DOMAIN_API must use https/);
    expect(loadConfig({ ...base, LP_DOMAIN_API: 'http://127.0.0.1:8787' }).domainApi).toBe('http://127.0.0.1:8787');
    expect(() => loadConfig({ ...base, BROKER_PORT: 'x' })).toThrow(/BROKER_PORT/);
    expect(() => loadConfig({ ...base, BROKER_SECRET: 'short-secret-value' })).toThrow(/BROKER_SECRET must be at least 32 bytes/);
    try {
      loadConfig({ ...base, BROKER_SECRET: 'short-secret-value' });
    } catch (error) {
      expect((error as Error).message).not.toContain('short-secret-value');
    }
    expect(() => loadConfig({ ...base, BROKER_ALLOWED_ORIGINS: 'https://a.example/path' })).toThrow(/bare origin/);
    expect(() => loadConfig({ ...base, REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
  });

  it('reads origins, proxies and Redis', () => {
    const config = loadConfig({ ...base, BROKER_ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173,*', BROKER_TRUST_PROXY: '1', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'http://localhost:5173', '*']);
    expect(config.trustProxy).toBe(1);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
  });
});
