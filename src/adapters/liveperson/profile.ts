/**
 * Agent public profiles (contract §5.13): the name and picture shown with an agent's messages.
 *
 * `GET {cdn}/api/account/{acc}/configuration/le-users/users/{agentPid}`, no auth, where `{cdn}` is
 * the `acCdnDomain` service of the Domain API (§2), discovered lazily — only when an agent first
 * needs a profile, never on the connect path. Everything here is optional: a failed discovery or
 * lookup leaves the agent nameless (the UI says "Agent") and is never reported as an error.
 *
 * One answer per agent for the page. A failed lookup may be tried again after a while, when the
 * agent is needed again (a network blip at join time should not hide the name for the whole page).
 */
import type { LivePersonConfig } from '../types.ts';
import { discover, isLocalHttp } from './domain.ts';
import { accountUrl, requestJson, type FetchLike } from './http.ts';
import { field, str } from './protocol.ts';

export interface AgentProfile {
  /** `nickname`, when the profile has one. */
  name?: string;
  /** `pictureUrl`, only when it is safe to load (see `safeAvatarUrl`). */
  avatar?: string;
}

/** One agent's lookup. */
export interface AgentLookup {
  /** The agent's profile once the lookup settled (`{}` when it failed or had nothing), undefined while unknown. */
  profile?: AgentProfile;
  /** Settles (never rejects) when the lookup has: answered or failed. */
  settled: Promise<void>;
}

/** The agent's lookup; starts one when none ran (or an old failure may be retried). */
export type AgentProfiles = (agentId: string) => AgentLookup;

export interface AgentProfileOptions {
  fetch: FetchLike;
  /** Per request (discovery and profile). */
  timeoutMs?: number;
  /** A failed lookup is tried again, when needed, after this long. */
  retryFailedAfterMs?: number;
  now?: () => number;
}


function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * `pictureUrl` if the widget may load it: https, or — only when the configured Domain API is a
 * local sandbox (http://localhost or http://127.0.0.1) — plain http on one of the sandbox's own
 * origins (`localOrigins`: the Domain API's, and the `acCdnDomain` it named). No credentials in
 * the URL; anything else (data:, javascript:, other http hosts) is dropped.
 */
export function safeAvatarUrl(value: unknown, domainApi: string, localOrigins: readonly string[] = []): string | undefined {
  const url = typeof value === 'string' && value.length <= 2048 /* no data-sized URLs */ ? parseUrl(value) : undefined;
  if (!url || url.username || url.password) return undefined;
  if (url.protocol === 'https:') return url.href;
  const api = url.protocol === 'http:' ? parseUrl(domainApi) : undefined;
  return api && isLocalHttp(api) && [api.origin, ...localOrigins].includes(url.origin) ? url.href : undefined;
}

/** The parts of a profile body the widget shows. */
export function readAgentProfile(body: unknown, domainApi: string, localOrigins: readonly string[] = []): AgentProfile {
  const name = str(field(body, 'nickname'))?.trim().slice(0, 128); /* a name, not an essay */
  const avatar = safeAvatarUrl(field(body, 'pictureUrl'), domainApi, localOrigins);
  return { ...(name && { name }), ...(avatar && { avatar }) };
}

/** One agent's lookup: running (no `profile`), answered, or failed (`profile` `{}`, `failedAt`). */
interface Entry extends AgentLookup {
  failedAt?: number;
}

export function createAgentProfiles(
  config: Pick<LivePersonConfig, 'domainApi' | 'account'>,
  options: AgentProfileOptions,
): AgentProfiles {
  const { timeoutMs = 5_000, retryFailedAfterMs = 60_000, now = Date.now } = options;
  const entries = new Map<string, Entry>();
  /** `http(s)://host` of acCdnDomain; a failed discovery is asked again next time. */
  let cdn: Promise<string> | undefined;

  async function fetchProfile(agentId: string): Promise<AgentProfile> {
    const origin = await (cdn ??= discover(options.fetch, config, 'acCdnDomain', timeoutMs).catch((error: unknown) => {
      cdn = undefined;
      throw error;
    }));
    const url = accountUrl(origin, config.account, `/configuration/le-users/users/${encodeURIComponent(agentId)}`);
    const answer = await requestJson(options.fetch, url, timeoutMs);
    if (answer.status !== 200) throw answer; // failed like a network error
    return readAgentProfile(answer.body, config.domainApi, [origin]);
  }

  return (agentId) => {
    const found = entries.get(agentId);
    // Kept unless it failed long enough ago to be tried again.
    if (found && now() - (found.failedAt ?? Infinity) < retryFailedAfterMs) return found;
    const started: Entry = {
      settled: fetchProfile(agentId).then(
        (profile) => {
          started.profile = profile;
        },
        () => {
          started.profile = {};
          started.failedAt = now();
        },
      ),
    };
    entries.set(agentId, started);
    return started;
  };
}
