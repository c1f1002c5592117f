/** Pure formatting helpers for the QA panel (times are epoch ms, durations ms). */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2025-01-31 14:05:09` in the browser's time zone. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A compact duration with its two most significant units: `45 s`, `9 min 12 s`, `5 h 3 min`, `30 d 10 h`. */
export function formatDuration(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const seconds = total % 60;
  if (days > 0) return hours ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  if (minutes > 0) return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
  return `${seconds} s`;
}

export type Urgency = 'ok' | 'soon' | 'past';

/**
 * Time left until `target` from `now`: `in 9 min 12 s`, or once past `expired 3 min ago`
 * (`pastWord` lets a window say `ended 3 min ago`).
 */
export function formatCountdown(target: number, now: number, pastWord = 'expired'): { text: string; urgency: Urgency } {
  const left = target - now;
  if (left <= 0) return { text: `${pastWord} ${formatDuration(left)} ago`, urgency: 'past' };
  return { text: `in ${formatDuration(left)}`, urgency: left < 60_000 ? 'soon' : 'ok' };
}

/** A signed offset: `+1 h 2 min`, `−350 ms`, `0`. */
export function formatOffset(ms: number): string {
  if (ms === 0) return '0';
  const sign = ms > 0 ? '+' : '−';
  return Math.abs(ms) < 1000 ? `${sign}${Math.abs(Math.round(ms))} ms` : `${sign}${formatDuration(ms)}`;
}

/** Event details as one line of JSON, with anything token-like blanked out (defence in depth). */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (key, v: unknown) => {
      if (/^(token|access_?token|id_?token|jwt|authorization|secret)$/i.test(key)) return '[redacted]';
      if (typeof v === 'string' && /^eyJ[\w-]+\.[\w-]+\.[\w-]*$/.test(v)) return '[redacted JWT]';
      return v;
    }) ?? 'undefined';
  } catch {
    return String(value);
  }
}
