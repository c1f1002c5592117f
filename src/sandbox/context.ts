/**
 * What every face of the sandbox shares: clock, core, lifetimes, keys, call counts, faults and
 * the known tenants. One instance per running sandbox (tests start several).
 */
import type { ServerResponse } from 'node:http';
import { CallCounter } from './calls.ts';
import { SandboxClock } from './clock.ts';
import { ConversationCore } from './core.ts';
import { FaultBook, delay, retryAfterHeader, type Fault } from './faults.ts';
import { sendJson } from './http.ts';
import type { SigningKeys } from './keys.ts';
import { DEFAULT_LIFETIMES, type Lifetimes } from './lifetimes.ts';

export interface LivePersonAccount {
  /** Unauthenticated ("ACR0") connector ids. */
  connectors: readonly string[];
  /** `Messaging.Un_Auth_Messaging`; off → IdP 403 9904. */
  unauthMessaging: boolean;
}

/** One Embedded Service deployment of a Salesforce org (SF contract §5.2). */
export interface SalesforceDeployment {
  /** `embeddedServiceConfig.deploymentType`: only `api` (Custom Client) may use the v2 API. */
  deploymentType: string;
  /** Fields of the `displayContext: "Conversation"` pre-chat form, as `formFields[]` items. */
  prechatFields?: readonly Record<string, unknown>[];
}

export interface SalesforceOrg {
  /** By API name (`esDeveloperName`). */
  deployments: ReadonlyMap<string, SalesforceDeployment>;
}

export interface Tenants {
  liveperson: ReadonlyMap<string, LivePersonAccount>;
  /** By the 15-character org id (SF contract §5.1). */
  salesforce: ReadonlyMap<string, SalesforceOrg>;
}

export const DEFAULT_TENANTS: Tenants = {
  liveperson: new Map([['12345678', { connectors: ['guestchat-unauth'], unauthMessaging: true }]]),
  salesforce: new Map([
    [
      '00D5e000000SBOX',
      {
        deployments: new Map<string, SalesforceDeployment>([
          // The default: a Custom Client deployment with no visible pre-chat form.
          ['GuestChat_Sandbox', { deploymentType: 'api' }],
          // Another type, for the 400 of §5.2.
          ['GuestChat_Legacy', { deploymentType: 'embedded' }],
          // A Custom Client deployment with a visible pre-chat field, for the widget's pre-chat path.
          [
            'GuestChat_Prechat',
            {
              deploymentType: 'api',
              prechatFields: [{ name: 'FirstName', label: 'First name', type: 'Text', order: 1, isHidden: false, required: true, maxLength: 40 }],
            },
          ],
        ]),
      },
    ],
  ]),
};

export class SandboxContext {
  readonly clock = new SandboxClock();
  readonly core: ConversationCore;
  readonly calls = new CallCounter(() => this.clock.now());
  readonly faults = new FaultBook();
  readonly lifetimes: Lifetimes = { ...DEFAULT_LIFETIMES };
  /** Origin of the running sandbox, e.g. `http://127.0.0.1:8787`; set once it listens. */
  origin = '';
  private readonly resetHooks: (() => void)[] = [];

  constructor(
    readonly keys: SigningKeys,
    readonly tenants: Tenants = DEFAULT_TENANTS,
    readonly log: (line: string) => void = () => {},
  ) {
    this.core = new ConversationCore(this.clock);
  }

  /** Bare `host:port` of the sandbox, as the Domain API answers it. */
  get host(): string {
    return new URL(this.origin).host;
  }

  onReset(hook: () => void): void {
    this.resetHooks.push(hook);
  }

  /** `POST /admin/reset`: conversations, identities, counters, faults, clock and lifetimes. */
  reset(): void {
    for (const hook of this.resetHooks) hook();
    this.core.reset();
    this.calls.reset();
    this.faults.clear();
    Object.assign(this.lifetimes, DEFAULT_LIFETIMES);
    this.clock.reset();
  }

  /**
   * Counts an HTTP call and applies a pending fault: waits `delayMs`, then answers `status` with the
   * vendor's error body (429 adds `Retry-After: 1` unless the fault names its seconds), or with
   * `closeCode` drops the connection with no response at all (a network error for the client).
   * Returns true when the fault answered. With `after`, the call is handled as usual (returns
   * false) but its answer never leaves: the socket is destroyed when the handler answers.
   */
  async enterHttpCall(call: string, res: ServerResponse, errorBody: (status: number, fault: Fault) => unknown): Promise<boolean> {
    this.calls.count(call);
    const fault = this.faults.take(call);
    if (!fault) return false;
    this.log(`fault on ${call}: ${JSON.stringify(fault)}`);
    if (fault.delayMs) await delay(fault.delayMs);
    if (fault.closeCode !== undefined) {
      res.socket?.destroy();
      return true;
    }
    if (fault.status !== undefined) {
      sendJson(res, fault.status, errorBody(fault.status, fault), retryAfterHeader(fault));
      return true;
    }
    if (fault.after) loseAnswer(res);
    return false;
  }
}

/** The handler runs; whatever it answers is dropped and the connection cut (a lost answer). */
function loseAnswer(res: ServerResponse): void {
  const cut = (): ServerResponse => {
    res.socket?.destroy();
    return res;
  };
  res.writeHead = (() => res) as unknown as ServerResponse['writeHead'];
  res.setHeader = (() => res) as unknown as ServerResponse['setHeader'];
  res.flushHeaders = () => {};
  res.write = (() => true) as unknown as ServerResponse['write'];
  res.end = cut as unknown as ServerResponse['end'];
}
