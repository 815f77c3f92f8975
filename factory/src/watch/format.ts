/**
 * Pure formatting shared by the server-rendered pages and the browser code (no Node imports).
 * Times are UTC on the server; the browser rewrites them to the reader's local time.
 */

export function formatUsd(usd: number | null): string {
  if (usd === null) return 'unknown';
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

export function formatPercent(share: number | null): string {
  return share === null ? '—' : `${(share * 100).toFixed(share < 0.1 && share > 0 ? 1 : 0)} %`;
}

export function formatMetric(value: number | null): string {
  return value === null ? '—' : value.toFixed(3);
}

export function formatDelta(value: number | null): string {
  if (value === null) return '—';
  const text = value.toFixed(3);
  return value > 0 ? `+${text}` : text === '-0.000' ? '0.000' : text;
}

/** `2026-12-01 22:39 UTC`: what the server renders inside <time>. */
export function formatUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** `2026-12-01 23:39`: the reader's local time (browser only calls this). */
export function formatLocal(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
