// The ops CLI's answers: `timeline` (why a workspace is in its state) and
// `backtest` (a proposed rate card against recorded usage), printed as
// readable tables or, with --json, as the same JSON the operator routes answer.
import { readFileSync } from 'node:fs';
import { backtestRequestSchema, type BacktestRequest, type BacktestResult } from '../../src/domain/backtest';
import type { Timeline, TimelineEntry } from '../../src/domain/timeline/timeline';

/** A problem with the command line or the rate file: exit status 2, every offending field named. */
export class UsageError extends Error {}

/**
 * The back-test request from the command line: the rate file (JSON, the
 * `rates` of POST /v1/operator/backtests) and the flags. Anything malformed
 * is a UsageError naming the field (`<file>: requestFamilies.waf: …`).
 */
export function backtestRequestFromArgs(flags: Record<string, string>): BacktestRequest {
  const file = flags.rates;
  if (!file) throw new UsageError('missing --rates <file.json>');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--rates ${file}: cannot read it (${err instanceof Error ? err.message : String(err)})`);
  }
  let rates: unknown;
  try {
    rates = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = backtestRequestSchema.safeParse({
    rates,
    ...(flags.from === undefined ? {} : { from: flags.from }),
    ...(flags.to === undefined ? {} : { to: flags.to }),
    ...(flags.workspace === undefined ? {} : { workspaceId: flags.workspace }),
  });
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const [head, ...rest] = issue.path.map(String);
    if (head === 'rates') return `${file}: ${rest.join('.') || '(the whole file)'}: ${issue.message}`;
    const flag = head === 'workspaceId' ? '--workspace' : `--${head}`;
    return `${flag}: ${issue.message}`;
  });
  throw new UsageError(`the back-test request is invalid:\n  ${lines.join('\n  ')}`);
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);

export function printBacktest(r: BacktestResult, print: (line: string) => void = console.log): void {
  const window = `${r.window.from ?? 'the beginning'} … ${r.window.to ?? 'now'}`;
  print(`back-test of usage that occurred ${window}, ${r.workspaceId ? `workspace ${r.workspaceId}` : 'all workspaces'}`);
  const families = Object.entries(r.rates.requestFamilies ?? {}).map(([f, c]) => `${f} ${c}`);
  const plans = Object.entries(r.rates.plans ?? {}).flatMap(([p, prices]) => Object.entries(prices ?? {}).map(([i, c]) => `${p}/${i} ${c}`));
  print(`proposed: ${families.length ? `unit prices (¢ per 1,000) ${families.join(', ')}` : 'public unit prices unchanged'}${plans.length ? `; plan prices (¢) ${plans.join(', ')}` : ''}`);
  print('amounts in cents, exact; carry = remainder below one cent left at the end, in thousandths of a cent (current/proposed)');
  print('');
  const width = Math.max(28, ...r.workspaces.map((w) => w.workspaceId.length + (w.contractPrices ? 12 : 1)));
  print(`${pad('workspace', width)}${lpad('events', 9)}${lpad('current', 13)}${lpad('proposed', 13)}${lpad('difference', 13)}  carry`);
  for (const w of r.workspaces) {
    const name = `${w.workspaceId}${w.contractPrices ? ' (contract)' : ''}`;
    print(`${pad(name, width)}${lpad(w.events, 9)}${lpad(w.current.cents, 13)}${lpad(w.proposed.cents, 13)}${lpad(signed(w.differenceCents), 13)}  ${w.current.carryThousandths}/${w.proposed.carryThousandths}`);
  }
  const t = r.totals;
  print(`${pad(`total (${t.workspaces} workspace${t.workspaces === 1 ? '' : 's'})`, width)}${lpad(t.events, 9)}${lpad(t.usage.currentCents, 13)}${lpad(t.usage.proposedCents, 13)}${lpad(signed(t.usage.differenceCents), 13)}`);
  if (t.plans) {
    print('');
    print('plan prices, per billing period (self-serve subscriptions, current plan and interval):');
    for (const w of r.workspaces.filter((x) => x.plan)) {
      const p = w.plan!;
      print(`${pad(w.workspaceId, width)}${pad(`${p.planId}/${p.interval}`, 15)}${lpad(p.currentCents, 10)}${lpad(p.proposedCents, 13)}${lpad(signed(p.differenceCents), 13)}`);
    }
    for (const interval of ['month', 'year'] as const) {
      const s = t.plans[interval];
      print(`${pad(`total per ${interval} (${s.subscriptions})`, width + 15)}${lpad(s.currentCents, 10)}${lpad(s.proposedCents, 13)}${lpad(signed(s.differenceCents), 13)}`);
    }
  }
}

function sourceText(entry: TimelineEntry): string {
  const parts: string[] = [];
  const s = entry.source;
  if (s.stripeEventId) parts.push(s.stripeEventId);
  if (s.workflow) parts.push(`${s.workflow.workflowId} #${s.workflow.eventId} (run ${s.workflow.runId.slice(0, 8)})`);
  for (const row of s.rows ?? []) if (!(row.table === 'stripe_event' && row.id === s.stripeEventId)) parts.push(`${row.table} ${row.id}`);
  return parts.join(' · ');
}

export function printTimeline(t: Timeline, print: (line: string) => void = console.log): void {
  const range = t.bounds.from || t.bounds.to ? ` between ${t.bounds.from ?? 'the beginning'} and ${t.bounds.to ?? 'now'}` : '';
  print(`timeline of ${t.workspaceId}: ${t.entries.length} entr${t.entries.length === 1 ? 'y' : 'ies'}${range}, oldest first (newest ${t.bounds.limit} at most)`);
  if (t.truncated) print('older entries exist: use --limit or --from/--to to see them');
  print('');
  const kindWidth = Math.max(4, ...t.entries.map((e) => e.kind.length)) + 2;
  print(`${pad('TIME', 26)}${pad('KIND', kindWidth)}WHAT  [SOURCE]`);
  for (const e of t.entries) print(`${pad(e.at, 26)}${pad(e.kind, kindWidth)}${e.summary}  [${sourceText(e)}]`);
}
