// The operator CLI: `npm run ops -- <command> [args]`. Talks to Temporal
// directly (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE;
// defaults 127.0.0.1:7233, default, billing) through the API's own
// WorkspaceClient, so actions are the same validated Updates the operator
// routes send, recorded with actor "ops-cli". `timeline` and `backtest` also
// read PostgreSQL (DATABASE_URL); `backtest` needs no Temporal.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DomainError } from '../src/domain/errors';
import { parseDuration } from '../src/domain/duration';
import { summarizeState, type StateSummary } from '../src/domain/state-summary';
import { guestStatus, type GuestCheckoutState } from '../src/domain/guest-checkout';
import { GUEST_CHECKOUTS_QUERY, OPERATOR_QUERY_NAMES, resolveOperatorQuery } from '../src/temporal/operator-queries';
import { WorkspaceClient } from '../src/temporal/workspace-client';
import { createPrisma } from '../src/infra/prisma';
import { runBacktest } from '../src/read-model/usage-backtest';
import { readWorkspaceTimeline } from '../src/read-model/workspace-timeline';
import { timelineQuerySchema } from '../src/domain/timeline/timeline';
import type { OperatorActionResult } from '../workflows/definitions';
import { backtestRequestFromArgs, printBacktest, printTimeline, UsageError } from './ops/answers';

const ACTOR = 'ops-cli';
const USAGE = `usage: npm run ops -- <command> [args]

  list <name | query>                 workspaces matching a named query (${OPERATOR_QUERY_NAMES.join(', ')}) or a raw list query
  show <workspaceId>                  the workspace's billing state
  extend-grace <workspaceId> (--by 3d | --until 2026-12-04T10:00:00Z) --reason "..."
  end-grace <workspaceId> --reason "..."          close the grace window as forgiven
  resync <workspaceId> --reason "..."             re-read the subscription and latest invoice from Stripe
  cancel-change <workspaceId> --reason "..."      cancel the scheduled plan change
  grant-credit <workspaceId> --amount 2500 --reason "..." --reference TICKET-1
  guests [--all]                      guest checkouts paid and not claimed (flagged first); --all: every running one
  show-guest <checkoutId>             a guest checkout's state
  timeline <workspaceId> [--limit 200] [--from ISO] [--to ISO] [--json]
                                      why the workspace is in its state: the facts and decisions behind it, oldest first
  backtest --rates <file.json> [--from ISO] [--to ISO] [--workspace <id>] [--json]
                                      recorded usage re-rated under a proposed rate card (writes nothing)

  every action takes --request-id <id> (default: a new one; repeat it to retry safely)
environment: TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_NAMESPACE (default), TEMPORAL_TASK_QUEUE (billing),
             DATABASE_URL (postgresql://billing:billing@127.0.0.1:5432/billing; timeline and backtest)`;

const DEFAULT_DATABASE_URL = 'postgresql://billing:billing@127.0.0.1:5432/billing';
const database = () => createPrisma(process.env.DATABASE_URL || DEFAULT_DATABASE_URL, 2);

function parseArgs(argv: string[]): { positional: string[]; flags: Record<string, string> } {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split('=', 2);
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else positional.push(arg);
  }
  return { positional, flags };
}

const need = (value: string | undefined, what: string): string => {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
};

function printSummary(s: StateSummary): void {
  const rows: [string, string][] = [
    ['workspace', s.workspaceId],
    ['summary', s.text],
    ['plan', `${s.planId}${s.interval ? ` (${s.interval})` : ''}`],
    ['status', s.status],
    ['mode', s.mode],
    ['grace', s.grace ? `${s.grace.startedAt} → ${s.grace.endsAt}${s.grace.expired ? ' (expired)' : ''}` : '—'],
    ['unpaid invoice', s.unpaidInvoice ? `${s.unpaidInvoice.id} ${s.unpaidInvoice.amountDueCents} ${s.unpaidInvoice.currency}` : '—'],
    ['scheduled change', s.pendingChange ? `${s.pendingChange.targetPlanId} (${s.pendingChange.interval}) at ${s.pendingChange.effectiveAt}` : '—'],
    ['subscription', s.subscriptionId ?? '—'],
  ];
  for (const [k, v] of rows) console.log(`  ${k.padEnd(17)}${v}`);
}

const iso = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString());

function guestLine(s: GuestCheckoutState): string {
  const status = guestStatus(s);
  const plan = s.request ? `${s.request.planId}/${s.request.interval}` : '—';
  const flag = s.flaggedAt !== null ? '  FLAGGED' : '';
  const claimed = s.claim ? ` → ${s.claim.workspaceId}` : '';
  return `${s.checkoutId}  ${status.padEnd(8)} ${plan.padEnd(14)} ${s.request?.email ?? '—'}  paid ${iso(s.paidAt)}${claimed}${flag}`;
}

function printGuest(s: GuestCheckoutState): void {
  const rows: [string, string][] = [
    ['guest checkout', s.checkoutId],
    ['status', guestStatus(s)],
    ['email', s.request?.email ?? '—'],
    ['plan', s.request ? `${s.request.planId} (${s.request.interval})` : '—'],
    ['customer', s.billing.customerId ?? '—'],
    ['session', s.session?.id ?? '—'],
    ['subscription', s.billing.subscription ? `${s.billing.subscription.id} (${s.billing.subscription.status})` : '—'],
    ['paid at', iso(s.paidAt)],
    ['flagged at', iso(s.flaggedAt)],
    ['claimed by', s.claim ? `${s.claim.workspaceId} at ${s.claim.claimedAt}` : s.claiming ? `(in flight: ${s.claiming})` : '—'],
  ];
  for (const [k, v] of rows) console.log(`  ${k.padEnd(17)}${v}`);
}

function printAction(workspaceId: string, r: OperatorActionResult): void {
  console.log(r.applied ? `✓ ${r.action} applied to ${workspaceId} (request ${r.requestId})` : `= ${r.action} request ${r.requestId} was already applied; nothing done again`);
  for (const [k, v] of Object.entries(r.details)) console.log(`  ${k.padEnd(17)}${typeof v === 'string' ? v : JSON.stringify(v)}`);
  printSummary(r.state);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return;
  }
  const all = rest.includes('--all');
  const asJson = rest.includes('--json');
  const { positional, flags } = parseArgs(rest.filter((a) => a !== '--all' && a !== '--json'));
  if (command === 'backtest') {
    // Reads PostgreSQL only: no Temporal needed.
    const request = backtestRequestFromArgs(flags);
    const prisma = database();
    try {
      const result = await runBacktest(prisma, request);
      if (asJson) console.log(JSON.stringify(result, null, 2));
      else printBacktest(result);
    } finally {
      await prisma.$disconnect();
    }
    return;
  }
  const address = process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const connection = await Connection.connect({ address, connectTimeout: 5_000 }).catch((err: unknown) => {
    throw new Error(`cannot reach Temporal at ${address}: ${err instanceof Error ? err.message : String(err)}`);
  });
  try {
    const client = new Client({ connection, namespace });
    const workspaces = new WorkspaceClient(client, process.env.TEMPORAL_TASK_QUEUE || 'billing');
    const action = () => ({ reason: need(flags.reason, '--reason'), requestId: flags['request-id'] ?? `${ACTOR}:${randomUUID()}`, actor: ACTOR });
    const workspaceId = () => need(positional[0], '<workspaceId>');

    switch (command) {
      case 'list': {
        const query = resolveOperatorQuery(need(positional.join(' '), '<name | query>'), Date.now());
        console.log(`query: ${query}`);
        let n = 0;
        for await (const wf of client.workflow.list({ query })) {
          n++;
          const sa = wf.searchAttributes as Record<string, unknown[] | undefined>;
          const grace = sa.GraceEndsAt?.[0];
          const summary = `${sa.PlanId?.[0]} · ${sa.BillingStatus?.[0]} · ${sa.BillingMode?.[0]}`;
          console.log(`${wf.workflowId.padEnd(36)} ${summary}${grace && !summary.includes('grace') ? ` · grace ends ${new Date(grace as string).toISOString()}` : ''}`);
        }
        console.log(`${n} workspace${n === 1 ? '' : 's'}`);
        return;
      }
      case 'show': {
        printSummary(summarizeState(await workspaces.state(workspaceId())));
        return;
      }
      case 'extend-grace': {
        const id = workspaceId();
        const by = flags.by === undefined ? undefined : parseDuration(flags.by);
        if (by === null) throw new UsageError(`--by ${flags.by}: use a duration like 3d, 36h or 90m`);
        const until = flags.until === undefined ? undefined : Date.parse(flags.until);
        if (until !== undefined && Number.isNaN(until)) throw new UsageError(`--until ${flags.until}: use an ISO time like 2026-12-04T10:00:00Z`);
        if ((by === undefined) === (until === undefined)) throw new UsageError('give exactly one of --by and --until');
        printAction(id, await workspaces.extendGrace(id, { ...action(), byMs: by, untilMs: until }));
        return;
      }
      case 'end-grace': {
        const id = workspaceId();
        printAction(id, await workspaces.endGrace(id, action()));
        return;
      }
      case 'resync': {
        const id = workspaceId();
        printAction(id, await workspaces.resyncFromStripe(id, action()));
        return;
      }
      case 'cancel-change': {
        const id = workspaceId();
        printAction(id, await workspaces.cancelScheduledChange(id, action()));
        return;
      }
      case 'grant-credit': {
        const id = workspaceId();
        const amountCents = Number(need(flags.amount, '--amount (cents)'));
        if (!Number.isSafeInteger(amountCents) || amountCents <= 0) throw new UsageError('--amount must be a positive whole number of cents');
        const result = await workspaces.grantCredit(id, { amountCents, reason: need(flags.reason, '--reason'), reference: need(flags.reference, '--reference'), actor: ACTOR });
        console.log(result.credited ? `✓ granted ${amountCents} cents to ${id}` : `= reference ${flags.reference} was already granted; nothing credited again`);
        console.log(`  balance          ${result.balanceCents} cents`);
        return;
      }
      case 'guests': {
        const states: GuestCheckoutState[] = [];
        for await (const wf of client.workflow.list({ query: GUEST_CHECKOUTS_QUERY })) {
          states.push(await workspaces.guestState(wf.workflowId.replace(/^guest-checkout\//, '')));
        }
        const shown = all ? states : states.filter((s) => guestStatus(s) === 'paid');
        shown.sort((a, b) => (a.flaggedAt ?? Infinity) - (b.flaggedAt ?? Infinity) || (a.paidAt ?? Infinity) - (b.paidAt ?? Infinity));
        for (const s of shown) console.log(guestLine(s));
        const flagged = shown.filter((s) => s.flaggedAt !== null).length;
        console.log(`${shown.length} guest checkout${shown.length === 1 ? '' : 's'}${flagged ? `, ${flagged} flagged` : ''}`);
        return;
      }
      case 'show-guest': {
        printGuest(await workspaces.guestState(need(positional[0], '<checkoutId>')));
        return;
      }
      case 'timeline': {
        const id = workspaceId();
        const query = timelineQuerySchema.safeParse({ limit: flags.limit, from: flags.from, to: flags.to });
        if (!query.success) throw new UsageError(query.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
        const prisma = database();
        try {
          const timeline = await readWorkspaceTimeline({ prisma, histories: workspaces }, id, query.data);
          if (asJson) console.log(JSON.stringify(timeline, null, 2));
          else printTimeline(timeline);
        } finally {
          await prisma.$disconnect();
        }
        return;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    await connection.close();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (err instanceof DomainError) {
      console.error(`refused: ${err.code}: ${err.message}`);
      const errors = (err.details as { errors?: { path: string; message: string }[] }).errors;
      for (const e of errors ?? []) console.error(`  ${e.path || '(request)'}: ${e.message}`);
      process.exit(1);
    }
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
