// What must hold for every simulated workspace at every step, whatever its
// life was: checked against the engine's public answers (/billing, /access),
// its ledger in PostgreSQL, and what the simulator knows Stripe did.
import { PLANS, REQUEST_FAMILIES, type RequestFamily } from '../../src/domain/plans';
import { monthKey } from '../../src/domain/spend-rules';
import { requestIdForKey } from '../../src/api/idempotency';
import type { SimEngine } from './engine';
import { getJson, type WorkspaceSim } from './workspace-sim';

/** Grace ends are stamped from event times a few seconds into the day: give them a minute. */
const STAMP_SLACK_MS = 60_000;

export interface Finding {
  invariant: string;
  detail: string;
}

interface WalletRow {
  balance: bigint;
  carry: bigint;
  entries: bigint;
  usage: bigint;
  grants: bigint;
  unrated: bigint;
  blocked_month: string | null;
  action: string | null;
}

async function walletOf(e: SimEngine, workspaceId: string): Promise<{ row: WalletRow; topUps: { source_id: string; amount_cents: bigint }[] }> {
  const [row] = await e.prisma.$queryRaw<WalletRow[]>`
    SELECT COALESCE((SELECT balance_cents FROM wallet_balance WHERE workspace_id = ${workspaceId}), 0) AS balance,
           COALESCE((SELECT usage_carry_thousandths FROM wallet_balance WHERE workspace_id = ${workspaceId}), 0) AS carry,
           COALESCE((SELECT sum(amount_cents) FROM wallet_entry WHERE workspace_id = ${workspaceId}), 0)::bigint AS entries,
           COALESCE((SELECT sum(amount_cents) FROM wallet_entry WHERE workspace_id = ${workspaceId} AND kind = 'usage'), 0)::bigint AS usage,
           COALESCE((SELECT sum(amount_cents) FROM wallet_entry WHERE workspace_id = ${workspaceId} AND source_type = 'operator_grant'), 0)::bigint AS grants,
           (SELECT count(*) FROM usage_event WHERE workspace_id = ${workspaceId} AND rated_at IS NULL) AS unrated,
           (SELECT blocked_month FROM spend_control WHERE workspace_id = ${workspaceId}) AS blocked_month,
           (SELECT action FROM spend_control WHERE workspace_id = ${workspaceId}) AS action`;
  const topUps = await e.prisma.$queryRaw<{ source_id: string; amount_cents: bigint }[]>`
    SELECT source_id, amount_cents FROM wallet_entry WHERE workspace_id = ${workspaceId} AND source_type = 'top_up' ORDER BY source_id`;
  return { row, topUps };
}

/** The exact worth of the production usage the engine accepted, in thousandths of a cent. */
function expectedUsageThousandths(ws: WorkspaceSim): bigint {
  let total = 0n;
  for (const u of ws.usage.values()) {
    if (u.environment !== 'production') continue;
    const family = u.family as RequestFamily;
    const price = ws.contractPrices[family] ?? REQUEST_FAMILIES[family].centsPer1000;
    total += BigInt(u.quantity) * BigInt(price);
  }
  return total;
}

/** The invariants after a step; an empty list when everything holds. */
export async function checkWorkspace(e: SimEngine, ws: WorkspaceSim): Promise<Finding[]> {
  const findings: Finding[] = [];
  const fail = (invariant: string, detail: string) => findings.push({ invariant, detail });
  const now = e.now();
  const [billing, access, wallet] = await Promise.all([
    getJson(e, `/v1/workspaces/${ws.id}/billing`),
    getJson(e, `/v1/workspaces/${ws.id}/access?projectId=p1&environment=production`),
    walletOf(e, ws.id),
  ]);
  const reasons = (access.body.reasons as string[]) ?? [];
  for (const f of ws.replayFailures) fail('replays_after_restart', `${f.workflowId} does not replay from its history: ${f.error}`);
  const row = wallet.row;

  // The ledger: the balance is the sum of its entries; money moved once per source.
  if (row.balance !== row.entries) fail('ledger_equals_entries', `balance ${row.balance} ≠ sum of entries ${row.entries}`);
  const paid = ws.accounts().flatMap((a) => a.paidTopUps);
  const expected = new Map(paid.map((t) => [t.topUpId, BigInt(t.amountCents)]));
  const credited = new Map(wallet.topUps.map((t) => [t.source_id, t.amount_cents]));
  if (credited.size !== wallet.topUps.length) fail('credit_once', `a top-up credited twice: ${wallet.topUps.map((t) => t.source_id).join(', ')}`);
  for (const [id, amount] of expected) if (credited.get(id) !== amount) fail('paid_top_up_credited', `top-up ${id} (${amount}) credited ${credited.get(id) ?? 'never'}`);
  for (const id of credited.keys()) if (!expected.has(id)) fail('credit_only_what_was_paid', `top-up ${id} credited but never paid`);
  if (row.grants !== BigInt(ws.granted)) fail('grant_once', `grants credited ${row.grants}, granted ${ws.granted}`);
  if (row.unrated === 0n) {
    const exact = expectedUsageThousandths(ws);
    const debited = -row.usage * 1000n + row.carry;
    if (debited !== exact) fail('debit_exact', `usage worth ${exact} thousandths, debited ${-row.usage} cents + carry ${row.carry}`);
  }

  // One truth: the dashboard's production answer and mode are the gate's.
  const billingReasons = ((billing.body.production as { reasons: string[] })?.reasons ?? []).filter((r) => r !== 'project_limit');
  const gateReasons = reasons.filter((r) => r !== 'project_limit');
  if (JSON.stringify(billingReasons) !== JSON.stringify(gateReasons)) fail('billing_equals_access', `/billing says ${JSON.stringify(billingReasons)}, /access says ${JSON.stringify(gateReasons)}`);
  if ((billing.body.mode === 'enforced_recovery') !== reasons.includes('enforced_recovery')) fail('billing_equals_access', `/billing mode ${String(billing.body.mode)} vs /access ${JSON.stringify(reasons)}`);

  // No paid workspace blocked: only money or the cap may stand in its way.
  const acct = ws.current();
  const plan = acct.subscription?.planId;
  if (acct.paidUp() && plan && PLANS[plan].productionKeys && !access.body.allowed) {
    const capped = plan === 'business' && row.action === 'block' && row.blocked_month === monthKey(now);
    const excused = reasons.every((r) => (r === 'wallet_below_minimum' && row.balance < BigInt(e.config.WALLET_MINIMUM_CENTS)) || (r === 'spend_cap_reached' && capped));
    if (!excused) fail('paid_not_blocked', `paid ${plan} workspace refused production: ${JSON.stringify(reasons)} (balance ${row.balance})`);
  }

  // No expired grace lets production through.
  const since = acct.delinquentSince();
  if (since !== null && ws.graceTouchedFor !== since && now >= since + e.config.BILLING_GRACE_PERIOD + STAMP_SLACK_MS && !reasons.includes('enforced_recovery')) {
    fail('expired_grace_blocks', `unpaid since ${new Date(since).toISOString()}, grace over, /access says ${JSON.stringify(reasons)} allowed=${String(access.body.allowed)}`);
  }
  return findings;
}

/** At the end: every Stripe event applied once, no Stripe object created twice for one intent. */
export async function checkFinal(e: SimEngine, ws: WorkspaceSim, delivered: string[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  const fail = (invariant: string, detail: string) => findings.push({ invariant, detail });
  if (delivered.length > 0) {
    const rows = await e.prisma.stripeEvent.findMany({ where: { id: { in: delivered } }, select: { id: true, deliveredAt: true, outcome: true } });
    const missing = delivered.filter((id) => !rows.some((r) => r.id === id));
    const undelivered = rows.filter((r) => r.deliveredAt === null && r.outcome !== 'unroutable');
    if (missing.length) fail('event_recorded_once', `${missing.length} delivered events not recorded, e.g. ${missing[0]}`);
    if (undelivered.length) fail('event_applied', `${undelivered.length} events recorded but never signalled, e.g. ${undelivered[0].id} (${undelivered[0].outcome})`);
  }
  const state = await e.workspaces.state(ws.id).catch(() => null);
  if (state && new Set(state.recentEventIds).size !== state.recentEventIds.length) fail('event_applied_once', 'an event id applied twice');
  for (const intent of ws.intents) {
    const requestId = requestIdForKey(intent.kind === 'extend' || intent.kind === 'end' || intent.kind === 'grant' ? 'operator' : 'app', intent.key);
    const creates = e.recorder.requests.filter((r) => r.method === 'POST' && r.idempotencyKey?.includes(requestId) && (r.path === '/v1/checkout/sessions' || r.path === '/v1/customers'));
    const keys = new Set(creates.map((r) => r.idempotencyKey));
    if (keys.size > 1) fail('one_stripe_object_per_intent', `${intent.kind} ${intent.key} created with ${keys.size} idempotency keys`);
  }
  for (const account of ws.accounts()) {
    if (account.customerKeys.size > 1) fail('one_customer', `customer created under ${account.customerKeys.size} idempotency keys: ${[...account.customerKeys].join(', ')}`);
  }
  return findings;
}
