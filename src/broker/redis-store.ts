/**
 * The Store on Redis (REDIS_URL): plain keys with PX expiries, two small Lua scripts for the
 * compare-and-delete and the token bucket (atomic across instances, timed by Redis's own clock).
 * Keys are namespaced `gcb:<account>:` so one Redis can serve several brokers.
 */
import type { Store, TakeResult } from './store.ts';

/** The one method of a node-redis client the broker uses: raw commands, RESP2 replies. */
export interface RedisCommander {
  sendCommand<T = unknown>(args: ReadonlyArray<string>): Promise<T>;
}

const DEL_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const TAKE = `
local capacity = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local data = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(data[1])
local at = tonumber(data[2])
if tokens == nil or at == nil then tokens = capacity at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * capacity / period)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) * period / capacity)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], period * 2)
return {allowed, retry}`;

export class RedisStore implements Store {
  constructor(
    private readonly redis: RedisCommander,
    private readonly prefix: string,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  private k(key: string): string {
    return this.prefix + key;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.redis.sendCommand<string | null>(['GET', this.k(key)]);
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.sendCommand(['SET', this.k(key), value, 'PX', String(Math.max(1, Math.ceil(ttlMs)))]);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = await this.redis.sendCommand<string | null>(['SET', this.k(key), value, 'PX', String(Math.max(1, Math.ceil(ttlMs))), 'NX']);
    return reply === 'OK';
  }

  async del(key: string): Promise<void> {
    await this.redis.sendCommand(['DEL', this.k(key)]);
  }

  async delIfEquals(key: string, value: string): Promise<void> {
    await this.redis.sendCommand(['EVAL', DEL_IF_EQUALS, '1', this.k(key), value]);
  }

  async take(key: string, capacity: number, periodMs: number): Promise<TakeResult> {
    const reply = await this.redis.sendCommand<[number, number]>(['EVAL', TAKE, '1', this.k(key), String(capacity), String(periodMs)]);
    return { allowed: Number(reply[0]) === 1, retryAfterMs: Number(reply[1]) };
  }

  close(): Promise<void> {
    return this.onClose();
  }
}
