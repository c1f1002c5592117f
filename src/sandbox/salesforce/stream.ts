/**
 * Salesforce identities and their event streams (SF contract §3): one bounded event log per
 * identity with increasing decimal ids, every event written to every open stream of the identity
 * (tabs), replay after a known `Last-Event-Id`, `ping` frames without an id, and the end of a
 * stream when the token it was opened with expires.
 */
import type { ServerResponse } from 'node:http';
import type { SandboxContext } from '../context.ts';
import type { SfClaims } from './tokens.ts';
import { sseFrame } from './wire.ts';

/** [SB] §3.6: replay covers the newest 1,000 events of an identity. */
export const EVENT_LOG_LIMIT = 1000;

export interface LoggedEvent {
  id: number;
  event: string;
  data: string;
}

export interface SfIdentity {
  subject: string;
  orgId: string;
  esDeveloperName: string;
  deviceId: string | undefined;
  firstIssuedAt: number;
  /** `exp` of the identity's tokens (a continuation copies it), in ms. */
  expiresAt: number;
  /** The newest events, oldest first. */
  log: LoggedEvent[];
  /** Id of the newest event; 0 before any. */
  head: number;
  streams: Set<SseStream>;
}

export class SseStream {
  private ended = false;
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly cancelExpiry: () => void;

  constructor(
    private readonly res: ServerResponse,
    readonly identity: SfIdentity,
    tokenExp: number,
    private readonly sandbox: SandboxContext,
  ) {
    res.on('close', () => this.dispose());
    // The token's expiry ends the stream, by real time or by a clock jump; the reconnect gets 401.
    this.cancelExpiry = sandbox.clock.at(tokenExp * 1000, () => this.end());
    this.schedulePing();
  }

  get live(): boolean {
    return !this.ended;
  }

  write(frame: string): void {
    if (this.ended || this.res.destroyed || this.res.writableEnded) return;
    this.res.write(frame);
  }

  /** A clean end of the stream (the client sees `done`). */
  end(): void {
    if (this.ended) return;
    this.dispose();
    this.res.end();
  }

  /** An abrupt cut: the socket is destroyed mid-stream (the client sees a network error). */
  cut(): void {
    if (this.ended) return;
    this.dispose();
    this.res.destroy();
    this.res.socket?.destroy();
  }

  private schedulePing(): void {
    // The interval is read each time, so a lifetimes change applies from the next ping.
    this.pingTimer = setTimeout(() => {
      this.write(sseFrame('ping', JSON.stringify({ timestamp: this.sandbox.clock.now() })));
      if (!this.ended) this.schedulePing();
    }, this.sandbox.lifetimes.sfPingMs);
    this.pingTimer.unref?.();
  }

  private dispose(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.pingTimer) clearTimeout(this.pingTimer);
    this.cancelExpiry();
    this.identity.streams.delete(this);
  }
}

export class IdentityBook {
  private readonly identities = new Map<string, SfIdentity>();

  constructor(private readonly sandbox: SandboxContext) {}

  get(subject: string): SfIdentity | undefined {
    return this.identities.get(subject);
  }

  /** The identity of valid claims; recreated from them after a reset (tokens are stateless). */
  ensure(claims: SfClaims): SfIdentity {
    let identity = this.identities.get(claims.sub);
    if (!identity) {
      identity = {
        subject: claims.sub,
        orgId: claims.orgId,
        esDeveloperName: claims.esDeveloperName,
        deviceId: claims.deviceId,
        firstIssuedAt: claims.iat * 1000,
        expiresAt: claims.exp * 1000,
        log: [],
        head: 0,
        streams: new Set(),
      };
      this.identities.set(claims.sub, identity);
    }
    return identity;
  }

  list(): SfIdentity[] {
    return [...this.identities.values()];
  }

  /** Logs an event with the identity's next id and writes it to every open stream. */
  append(identity: SfIdentity, event: string, data: string): LoggedEvent {
    const logged: LoggedEvent = { id: identity.head + 1, event, data };
    identity.head = logged.id;
    identity.log.push(logged);
    if (identity.log.length > EVENT_LOG_LIMIT) identity.log.splice(0, identity.log.length - EVENT_LOG_LIMIT);
    const frame = sseFrame(event, data, logged.id);
    for (const stream of [...identity.streams]) stream.write(frame);
    return logged;
  }

  /**
   * The events to replay after `lastEventId`: those newer than a known id ("0" = from the start,
   * as long as nothing was trimmed); none for an absent, unknown or too-old id (§3.6 [SB]).
   */
  replayAfter(identity: SfIdentity, lastEventId: string | undefined): LoggedEvent[] {
    if (lastEventId === undefined || !/^\d{1,15}$/.test(lastEventId.trim())) return [];
    const after = Number(lastEventId.trim());
    const oldest = identity.log[0]?.id ?? identity.head + 1;
    if (after > identity.head || after < oldest - 1) return [];
    return identity.log.filter((e) => e.id > after);
  }

  /** Opens a stream for the identity; replays and registers it in one synchronous step. */
  open(res: ServerResponse, identity: SfIdentity, tokenExp: number, lastEventId: string | undefined): SseStream {
    const stream = new SseStream(res, identity, tokenExp, this.sandbox);
    if (!stream.live) return stream;
    identity.streams.add(stream);
    for (const e of this.replayAfter(identity, lastEventId)) stream.write(sseFrame(e.event, e.data, e.id));
    return stream;
  }

  allStreams(): SseStream[] {
    return this.list().flatMap((i) => [...i.streams]);
  }

  clear(): void {
    this.identities.clear();
  }
}
