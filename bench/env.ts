/** What the browser sections share: one browser, the host-page server and the in-process sandbox. */
import type { Browser } from '@playwright/test';
import type { SandboxClient } from '../e2e/support/sandbox-client.ts';

export interface BenchEnv {
  browser: Browser;
  hostUrl: string;
  sandboxUrl: string;
  sandbox: SandboxClient;
  /** performance.now() (bench process) after which a section should wrap up and print what it has. */
  deadline: number;
}

export const timeLeft = (env: BenchEnv): number => env.deadline - performance.now();
