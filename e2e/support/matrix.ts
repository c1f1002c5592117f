/**
 * The fault matrix: one row per (scenario, adapter), computed from what the test sent and what the
 * sandbox's agent API holds — never hard-coded. Tests record their row as a Playwright annotation;
 * `e2e/support/fault-matrix-reporter.ts` (used by `npm run test:faults`) prints them as a table.
 *
 *   const delivery = countDelivery(sent, await sandbox.conversations());
 *   expect(delivery).toMatchObject({ lost: 0, duplicated: 0, inOrder: true });
 *   recordMatrixRow({ scenario: 'offline while sending', adapter, delivery, renewals: 0 });
 */
import { test } from '@playwright/test';
import type { AgentConversation, AgentMessage } from './sandbox-client.ts';

export const MATRIX_ANNOTATION = 'fault-matrix';

export interface Delivery {
  /** Messages the visitor sent (distinct texts). */
  sent: number;
  /** Sent messages the server holds at least once. */
  delivered: number;
  /** Sent messages the server does not hold. */
  lost: number;
  /** Extra copies: a message held three times counts 2. */
  duplicated: number;
  /** The first copies of the sent messages are stored in the order they were sent. */
  inOrder: boolean;
}

export interface MatrixRow {
  scenario: string;
  adapter: string;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  /** Token renewals the sandbox saw (e.g. LivePerson refresh calls), or undefined when not relevant. */
  renewals?: number | undefined;
}

/** Every visitor message in one conversation, several conversations, or a flat transcript. */
function visitorMessages(transcript: AgentConversation | AgentConversation[] | AgentMessage[]): AgentMessage[] {
  const list = Array.isArray(transcript) ? transcript : [transcript];
  const messages: AgentMessage[] = [];
  for (const item of list) {
    if ('messages' in item) messages.push(...item.messages);
    else messages.push(item);
  }
  return messages.filter((m) => m.from === 'consumer');
}

/**
 * Compares what the visitor sent (texts, each distinct) with what the server stored. Visitor
 * messages the test did not send (e.g. from an earlier step it does not count) are ignored.
 */
export function countDelivery(sent: readonly string[], transcript: AgentConversation | AgentConversation[] | AgentMessage[]): Delivery {
  if (new Set(sent).size !== sent.length) throw new Error('countDelivery: sent texts must be distinct');
  const stored = visitorMessages(transcript).map((m) => m.text);
  let delivered = 0;
  let duplicated = 0;
  for (const text of sent) {
    const copies = stored.filter((s) => s === text).length;
    if (copies > 0) delivered++;
    if (copies > 1) duplicated += copies - 1;
  }
  const firstPositions = sent.map((text) => stored.indexOf(text)).filter((i) => i >= 0);
  const inOrder = firstPositions.every((position, i) => i === 0 || position > firstPositions[i - 1]!);
  return { sent: sent.length, delivered, lost: sent.length - delivered, duplicated, inOrder };
}

/** Counts how often each text appears in a list of shown texts (e.g. the dialog's messages). */
export function copiesOf(texts: readonly string[], shown: readonly string[]): Record<string, number> {
  return Object.fromEntries(texts.map((text) => [text, shown.filter((s) => s === text).length]));
}

/** Records the current test's row of the fault matrix (shown by the fault-matrix reporter). */
export function recordMatrixRow(row: { scenario: string; adapter: string; delivery: Delivery; renewals?: number | undefined }) {
  const value: MatrixRow = {
    scenario: row.scenario,
    adapter: row.adapter,
    sent: row.delivery.sent,
    delivered: row.delivery.delivered,
    lost: row.delivery.lost,
    duplicated: row.delivery.duplicated,
    renewals: row.renewals,
  };
  test.info().annotations.push({ type: MATRIX_ANNOTATION, description: JSON.stringify(value) });
}

/**
 * Declares the row before the test runs its steps, so a test that fails early still shows in the
 * matrix (as failed, with the counts known at that point). Call recordMatrixRow at the end to
 * replace it with the computed counts.
 */
export function declareMatrixRow(scenario: string, adapter: string) {
  test.info().annotations.push({
    type: MATRIX_ANNOTATION,
    description: JSON.stringify({ scenario, adapter, sent: 0, delivered: 0, lost: 0, duplicated: 0 } satisfies MatrixRow),
  });
}
