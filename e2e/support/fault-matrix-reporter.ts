/**
 * Prints the fault matrix (`npm run test:faults`): one row per test that recorded a
 * `fault-matrix` annotation (e2e/support/matrix.ts), with the test's result and the counts it
 * computed from the sandbox — scenario | adapter | result | sent | delivered | lost | duplicated |
 * renewals. A test that failed before computing its counts shows the counts it declared.
 */
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { MATRIX_ANNOTATION, type MatrixRow } from './matrix.ts';

interface Row extends MatrixRow {
  result: string;
  file: string;
  line: number;
}

const COLUMNS: { title: string; value: (row: Row) => string; right?: boolean }[] = [
  { title: 'scenario', value: (r) => r.scenario },
  { title: 'adapter', value: (r) => r.adapter },
  { title: 'result', value: (r) => r.result },
  { title: 'messages sent', value: (r) => String(r.sent), right: true },
  { title: 'delivered', value: (r) => String(r.delivered), right: true },
  { title: 'lost', value: (r) => String(r.lost), right: true },
  { title: 'duplicated', value: (r) => String(r.duplicated), right: true },
  { title: 'renewals', value: (r) => (r.renewals === undefined ? '–' : String(r.renewals)), right: true },
];

function parseRow(description: string | undefined): MatrixRow | undefined {
  if (!description) return undefined;
  try {
    const value = JSON.parse(description) as Partial<MatrixRow>;
    if (typeof value.scenario !== 'string' || typeof value.adapter !== 'string') return undefined;
    return {
      scenario: value.scenario,
      adapter: value.adapter,
      sent: Number(value.sent ?? 0),
      delivered: Number(value.delivered ?? 0),
      lost: Number(value.lost ?? 0),
      duplicated: Number(value.duplicated ?? 0),
      renewals: typeof value.renewals === 'number' ? value.renewals : undefined,
    };
  } catch {
    return undefined;
  }
}

export function formatMatrix(rows: readonly Row[]): string {
  const cells = rows.map((row) => COLUMNS.map((c) => c.value(row)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    `| ${values.map((v, i) => (COLUMNS[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (COLUMNS[i]!.right ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(COLUMNS.map((c) => c.title)), rule, ...cells.map(line)].join('\n');
}

export default class FaultMatrixReporter implements Reporter {
  /** By test id: the last result wins (retries, repeats). */
  private readonly rows = new Map<string, Row>();

  printsToStdio(): boolean {
    return true;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    // Runtime annotations (test.info().annotations) are on the result; older versions copy them to the test.
    const annotations = [...(result.annotations ?? []), ...test.annotations].filter((a) => a.type === MATRIX_ANNOTATION);
    const recorded = parseRow(annotations.at(-1)?.description);
    if (!recorded) return;
    const outcome = test.outcome();
    const status = result.status === 'passed' ? (outcome === 'flaky' ? 'flaky' : 'pass') : result.status === 'skipped' ? 'skipped' : 'FAIL';
    this.rows.set(test.id, { ...recorded, result: status, file: test.location.file, line: test.location.line });
  }

  onEnd(result: FullResult): void {
    const rows = [...this.rows.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.adapter.localeCompare(b.adapter));
    if (rows.length === 0) {
      process.stdout.write('\nFault matrix: no test recorded a row.\n');
      return;
    }
    const sum = (pick: (r: Row) => number) => rows.reduce((total, r) => total + pick(r), 0);
    const failed = rows.filter((r) => r.result === 'FAIL').length;
    const scenarios = new Set(rows.map((r) => r.scenario)).size;
    process.stdout.write(`\nFault matrix (${rows.length} rows, ${scenarios} scenarios)\n\n${formatMatrix(rows)}\n\n`);
    process.stdout.write(
      `rows passed: ${rows.length - failed}/${rows.length} · messages sent: ${sum((r) => r.sent)} · delivered: ${sum((r) => r.delivered)} · ` +
        `lost: ${sum((r) => r.lost)} · duplicated: ${sum((r) => r.duplicated)} · run: ${result.status}\n`,
    );
  }
}
