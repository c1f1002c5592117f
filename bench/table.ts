/**
 * Plain-text output for `npm run bench`: aligned tables, section headings and the small
 * statistics the sections share (median, min/max, percentiles). No colours, no pass/fail.
 */

export type Cell = string | number | undefined;

/** Numbers (and cells that look numeric) are right-aligned; text is left-aligned. */
export function table(headers: string[], rows: Cell[][]): string {
  const text = rows.map((row) => headers.map((_, i) => cell(row[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((row) => row[i]!.length)));
  const numeric = headers.map((_, i) => text.length > 0 && text.every((row, r) => isNumeric(row[i]!, rows[r]![i])));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map((row) => line(row))].map((l) => `  ${l}`).join('\n');
}

function cell(value: Cell): string {
  if (value === undefined) return '–';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(1);
  return value;
}

function isNumeric(text: string, raw: Cell): boolean {
  return typeof raw === 'number' || raw === undefined || /^[-+]?[\d,.]+(\s?(ms|%|B|KB|MB|x|\/s))?$|^[\d.,]+ \([\d.,]+[–-][\d.,]+\)$|^[\d.,]+\s?\/\s?[\d.,]+/.test(text);
}

export function heading(title: string): string {
  return `\n${title}\n${'='.repeat(title.length)}`;
}

export function note(text: string): string {
  return `  ${text}`;
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** `median (min–max)` with a fixed number of decimals, or `–` when there are no samples. */
export function spread(values: number[], digits = 0): string {
  const m = median(values);
  if (m === undefined) return '–';
  if (values.length === 1) return m.toFixed(digits);
  return `${m.toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

export const fmt = (value: number | undefined, digits = 0): string => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));
export const bytes = (value: number): string => value.toLocaleString('en-US');
export const mb = (value: number): string => (value / (1024 * 1024)).toFixed(2);

/** Rejects after `ms` with a readable reason; the underlying work is not cancelled. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message.split('\n')[0]! : String(error));
