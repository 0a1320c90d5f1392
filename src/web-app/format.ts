// How the app writes money, dates and durations, and reads amounts typed in
// dollars. Integer cents throughout: a typed amount is parsed as text, never
// through a float.

/** "$1,234.50"; negative amounts as "−$3.00". */
export function formatUsd(cents: number): string {
  const sign = cents < 0 ? '−' : '';
  const abs = Math.abs(cents);
  const dollars = Math.trunc(abs / 100).toLocaleString('en-US');
  return `${sign}$${dollars}.${String(abs % 100).padStart(2, '0')}`;
}

/** "+$3.00" / "−$3.00" / "$0.00": a difference. */
export function formatUsdDelta(cents: number): string {
  return cents > 0 ? `+${formatUsd(cents)}` : formatUsd(cents);
}

/** Cents per 1,000 requests as dollars with as many decimals as needed ("$0.10"). */
export function formatRate(centsPer1000: number): string {
  return formatUsd(centsPer1000);
}

/** Dollars typed in a form ("25", "25.5", "1,000.00") as integer cents; null when it is not an amount. */
export function parseUsdToCents(text: string): number | null {
  const cleaned = text.trim().replace(/^\$/, '').replace(/,/g, '');
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** Cents as the dollars a form field shows ("25.00"). */
export function centsToInput(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** "2026-12-04 10:00 UTC". */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
}

/** What is left until `endMs`: "3 days 4 hours", "2 hours 5 minutes", "less than a minute"; null once passed. */
export function countdown(endMs: number, nowMs: number): string | null {
  const left = endMs - nowMs;
  if (left <= 0) return null;
  const minutes = Math.floor(left / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (days > 0) return hours > 0 ? `${unit(days, 'day')} ${unit(hours, 'hour')}` : unit(days, 'day');
  if (hours > 0) return mins > 0 ? `${unit(hours, 'hour')} ${unit(mins, 'minute')}` : unit(hours, 'hour');
  return mins > 0 ? unit(mins, 'minute') : 'less than a minute';
}
