// The timeline's pure assembly (src/domain/timeline): sources translated into
// entries, the same fact from two sources merged into one entry, ordering,
// bounds, and histories read by message and activity names — including
// saved real histories (test/replay/histories) decoded by the Temporal reader.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { BillingFact } from '../../src/domain/billing-facts';
import { initialState, type WorkspaceState } from '../../src/domain/billing-state';
import type { HistoryRecord, HistoryRun } from '../../src/domain/timeline/history-records';
import { projectionChanges } from '../../src/domain/timeline/projection-changes';
import { dunningReminderCandidates, operatorAuditCandidates, stripeEventCandidates, walletEntryCandidates } from '../../src/domain/timeline/row-entries';
import { assembleTimeline, RANK_ROW, RANK_WORKFLOW, timelineSchema, type TimelineCandidate } from '../../src/domain/timeline/timeline';
import { workflowCandidates } from '../../src/domain/timeline/workflow-entries';
import { essentialProjection, toProjection, type BillingProjection } from '../../src/domain/projection';
import { HISTORY_VOCABULARY as V } from '../../src/temporal/history-vocabulary';
import { decodeHistoryEvents } from '../../src/temporal/workflow-history';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const MIN = 60_000;
const unbounded = { limit: 1000, fromMs: null, toMs: null };

const candidate = (atMs: number, summary: string, extra: Partial<TimelineCandidate> = {}): TimelineCandidate => ({
  atMs,
  kind: 'k',
  summary,
  rank: RANK_WORKFLOW,
  source: {},
  ...extra,
});

describe('assembleTimeline', () => {
  test('orders by time, keeps the sources\' order on ties, and answers the schema', () => {
    const t = assembleTimeline('ws', [candidate(T0 + 2 * MIN, 'c'), candidate(T0, 'a'), candidate(T0 + MIN, 'b1'), candidate(T0 + MIN, 'b2')], unbounded);
    expect(t.entries.map((e) => e.summary)).toEqual(['a', 'b1', 'b2', 'c']);
    expect(timelineSchema.parse(t)).toEqual(t);
    expect(t.truncated).toBe(false);
  });

  test('the same fact from a workflow and a table row is one entry: the workflow\'s words, both sources, the row\'s note', () => {
    const workflow = candidate(T0, 'Payment reminder (day 3) recorded', {
      key: 'reminder:1:2',
      source: { workflow: { workflowId: 'workspace/ws', runId: 'r1', eventId: 44 } },
    });
    const row = candidate(T0 + 5, 'row words', { key: 'reminder:1:2', rank: RANK_ROW, note: 'sent 2026-11-27T10:01:00.000Z', source: { rows: [{ table: 'dunning_reminder', id: '7' }] } });
    const t = assembleTimeline('ws', [row, workflow], unbounded);
    expect(t.entries).toEqual([
      {
        at: new Date(T0).toISOString(),
        kind: 'k',
        summary: 'Payment reminder (day 3) recorded (sent 2026-11-27T10:01:00.000Z)',
        source: { workflow: { workflowId: 'workspace/ws', runId: 'r1', eventId: 44 }, rows: [{ table: 'dunning_reminder', id: '7' }] },
      },
    ]);
  });

  test('a Stripe event delivered twice (a redelivery) is one entry', () => {
    const fact = (eventId: number) => candidate(T0 + eventId, 'Payment failed', { key: 'stripe:evt_1', source: { stripeEventId: 'evt_1', workflow: { workflowId: 'w', runId: 'r', eventId } } });
    expect(assembleTimeline('ws', [fact(3), fact(9)], unbounded).entries).toHaveLength(1);
  });

  test('bounds: the newest `limit` entries within [from, to), oldest first; truncated when older ones exist', () => {
    const all = [0, 1, 2, 3, 4, 5].map((i) => candidate(T0 + i * MIN, `e${i}`));
    const newest = assembleTimeline('ws', all, { limit: 2, fromMs: null, toMs: null });
    expect(newest.entries.map((e) => e.summary)).toEqual(['e4', 'e5']);
    expect(newest.truncated).toBe(true);
    const window = assembleTimeline('ws', all, { limit: 10, fromMs: T0 + MIN, toMs: T0 + 4 * MIN });
    expect(window.entries.map((e) => e.summary)).toEqual(['e1', 'e2', 'e3']);
    expect(window).toMatchObject({ truncated: false, bounds: { limit: 10, from: new Date(T0 + MIN).toISOString(), to: new Date(T0 + 4 * MIN).toISOString() } });
    expect(assembleTimeline('ws', all, unbounded, false).truncated).toBe(true);
  });
});

describe('projectionChanges', () => {
  const active: BillingProjection = { ...essentialProjection('ws'), planId: 'plus', interval: 'month', status: 'active', mode: 'self_serve', version: 3 };
  const unpaid = { id: 'in_1', amountDueCents: 2900, currency: 'usd', hostedInvoiceUrl: 'https://pay.example/in_1' };
  const grace = { startedAt: T0, endsAt: T0 + 7 * 86_400_000, expired: false };
  const recovering: BillingProjection = { ...active, status: 'past_due', mode: 'billing_recovery', grace, unpaidInvoice: unpaid };
  const enforced: BillingProjection = { ...recovering, mode: 'enforced_recovery', grace: { ...grace, expired: true } };

  test('a failed payment: status, the unpaid invoice with its payment page, the grace window with its end', () => {
    expect(projectionChanges(active, recovering)).toEqual([
      { kind: 'billing.status', summary: 'Billing status is now past_due (was active)' },
      { kind: 'invoice.unpaid', summary: 'Invoice in_1 is unpaid: 29.00 USD, to be paid at https://pay.example/in_1' },
      { kind: 'grace.opened', summary: 'Grace window opened: production stays allowed until 2026-12-04T10:00:00.000Z, then it is blocked unless invoice in_1 is paid' },
    ]);
  });

  test('the end of the window: the hard block', () => {
    expect(projectionChanges(recovering, enforced)).toEqual([
      { kind: 'grace.expired', summary: 'Grace window ended at 2026-12-04T10:00:00.000Z unpaid: production traffic is hard-blocked (enforced recovery) until the payment is made' },
    ]);
  });

  test('payment after expiry: the window closes and billing is restored', () => {
    expect(projectionChanges(enforced, active).map((c) => c.kind)).toEqual(['billing.status', 'invoice.settled', 'grace.closed', 'billing.restored']);
  });

  test('an operator moving an expired window\'s end unblocks meanwhile', () => {
    const later = { ...recovering, grace: { ...grace, endsAt: grace.endsAt + 86_400_000 } };
    expect(projectionChanges(enforced, later)).toEqual([
      { kind: 'grace.moved', summary: 'Grace window now ends 2026-12-05T10:00:00.000Z (was 2026-12-04T10:00:00.000Z); production unblocked meanwhile' },
    ]);
  });

  test('plan changes, scheduled changes and checkouts', () => {
    const pending = { ...active, pendingChange: { targetPlanId: 'family' as const, interval: 'month' as const, effectiveAt: '2026-12-27T10:00:00.000Z' } };
    expect(projectionChanges(active, pending)).toEqual([{ kind: 'plan_change.scheduled', summary: 'Change to family (month) scheduled for 2026-12-27T10:00:00.000Z' }]);
    expect(projectionChanges(pending, { ...active, planId: 'family' }).map((c) => c.kind)).toEqual(['plan.changed', 'plan_change.cleared']);
    const open = { ...essentialProjection('ws'), status: 'incomplete' as const, mode: 'checkout_pending' as const, checkout: { id: 'cs_1', url: 'u', expiresAt: T0 } };
    expect(projectionChanges(open, active).map((c) => c.kind)).toEqual(['plan.changed', 'billing.status', 'billing.mode', 'checkout.closed']);
  });
});

const run = (runId: string, records: HistoryRecord[]): HistoryRun => ({ runId, records });
const history = (...runs: HistoryRun[]) => ({ workflowId: 'workspace/ws', runs, complete: true });
const failed: BillingFact = {
  kind: 'invoice_changed',
  eventId: 'evt_fail',
  occurredAt: T0,
  invoiceId: 'in_1',
  subscriptionId: 'sub_1',
  status: 'open',
  paymentFailed: true,
  amountDueCents: 2900,
  currency: 'usd',
  hostedInvoiceUrl: 'https://pay.example/in_1',
};

describe('workflowCandidates', () => {
  test('reads signals, updates and activities by name; unknown names, types and payloads are skipped', () => {
    const records: HistoryRecord[] = [
      { type: 'started', eventId: 1, atMs: T0, input: { workspaceId: 'ws' }, previousRunId: null },
      { type: 'signal', eventId: 3, atMs: T0 + 1, name: V.signals.stripeFact, args: [failed] },
      { type: 'signal', eventId: 4, atMs: T0 + 2, name: 'someFutureSignal', args: [{ kind: 'x' }] },
      { type: 'signal', eventId: 5, atMs: T0 + 3, name: V.signals.stripeFact, args: [undefined] },
      { type: 'signal', eventId: 6, atMs: T0 + 4, name: V.signals.stripeFact, args: [{ ...failed, eventId: 'evt_new', kind: 'future_fact' }] },
      { type: 'other', eventId: 7, atMs: T0 + 5, eventType: 'EVENT_TYPE_NEXUS_OPERATION_STARTED' },
      { type: 'activity', eventId: 8, atMs: T0 + 6, name: 'someFutureActivity', input: [{}], outcome: { ok: true, result: 1 } },
      {
        type: 'update',
        eventId: 9,
        atMs: T0 + 7,
        name: V.updates.extendGrace,
        args: [{ reason: 'wire transfer promised', requestId: 'req-1', actor: 'ops-cli', byMs: 86_400_000 }],
        outcome: { ok: true, result: { applied: true, details: { previousEndsAt: '2026-12-04T10:00:00.000Z', wasExpired: true, endsAt: '2026-12-05T10:00:00.000Z' } } },
      },
      { type: 'update', eventId: 12, atMs: T0 + 8, name: V.updates.applyPlanChange, args: [{ targetPlanId: 'business', interval: 'month' }], outcome: { ok: false, code: 'payment_recovery_required', message: 'Pay first.' } },
      { type: 'timer', eventId: 14, atMs: T0 + 9, summary: 'grace window ends (enforced recovery)' },
      { type: 'timer', eventId: 15, atMs: T0 + 10, summary: null },
    ];
    const out = workflowCandidates(history(run('r1', records)), V);
    expect(out.map((c) => [c.kind, c.summary, c.source.workflow?.eventId, c.key])).toEqual([
      ['invoice.payment_failed', 'Payment of invoice in_1 failed: 29.00 USD due', 3, 'stripe:evt_fail'],
      [
        'operator.extend_grace',
        'Operator ops-cli extended the grace window to 2026-12-05T10:00:00.000Z (was 2026-12-04T10:00:00.000Z, expired): "wire transfer promised"',
        9,
        'audit:req-1',
      ],
      ['plan_change.refused', 'Change to business (month) refused: payment_recovery_required: Pay first.', 12, undefined],
      ['timer.fired', 'Timer fired: grace window ends (enforced recovery)', 14, undefined],
    ]);
    expect(out[0].source).toEqual({ workflow: { workflowId: 'workspace/ws', runId: 'r1', eventId: 3 }, stripeEventId: 'evt_fail' });
  });

  test('a continued run compares its first projection with the state it carried, not with an empty workspace', () => {
    const carried: WorkspaceState = {
      ...initialState('ws'),
      subscription: { id: 'sub_1', status: 'active', planId: 'plus', interval: 'month', currentPeriodEnd: null, cancelAtPeriodEnd: false, lastFactAt: T0 },
      version: 5,
    };
    const before = toProjection(carried);
    const save = (eventId: number, p: BillingProjection): HistoryRecord => ({ type: 'activity', eventId, atMs: T0 + eventId, name: V.activities.saveBillingProjection, input: [p], outcome: { ok: true, result: true } });
    const second = run('r2', [
      { type: 'started', eventId: 1, atMs: T0, input: { workspaceId: 'ws', state: carried }, previousRunId: 'r1' },
      save(8, { ...before, status: 'past_due', mode: 'billing_recovery', version: 6 }),
    ]);
    expect(workflowCandidates(history(second), V).map((c) => c.kind)).toEqual(['billing.status', 'billing.mode']);
    // A first run starts from an Essential workspace.
    const first = run('r1', [{ type: 'started', eventId: 1, atMs: T0, input: { workspaceId: 'ws' }, previousRunId: null }, save(8, before)]);
    expect(workflowCandidates(history(first), V).map((c) => c.kind)).toEqual(['plan.changed', 'billing.status']);
  });
});

describe('table rows', () => {
  test('stripe events, audit rows, ledger entries and reminders say what they record', () => {
    expect(stripeEventCandidates([{ id: 'evt_1', type: 'invoice.payment_failed', receivedAtMs: T0, outcome: 'delivered', guestCheckoutId: null }])[0]).toMatchObject({
      kind: 'stripe.event',
      summary: 'Stripe invoice.payment_failed received',
      key: 'stripe:evt_1',
      source: { stripeEventId: 'evt_1', rows: [{ table: 'stripe_event', id: 'evt_1' }] },
    });
    expect(
      operatorAuditCandidates([{ id: '42', action: 'end_grace', reason: 'goodwill', actor: 'operator-api', requestId: 'r-9', details: {}, createdAtMs: T0 }])[0],
    ).toMatchObject({ kind: 'operator.end_grace', summary: 'Operator operator-api ended the grace window as forgiven: "goodwill"', key: 'audit:r-9' });
    expect(
      walletEntryCandidates([
        { id: '7', kind: 'usage', amountCents: -345, sourceType: 'usage_batch', sourceId: '10-20', reason: '11 usage events rated', createdAtMs: T0 },
        { id: '8', kind: 'top_up', amountCents: 5000, sourceType: 'top_up', sourceId: 'tu_1', reason: 'Stripe top-up tu_1', createdAtMs: T0 },
      ]).map((c) => [c.kind, c.summary, c.key]),
    ).toEqual([
      ['wallet.usage_debited', 'Usage rating pass debited 3.45 USD (11 usage events rated; usage seq 10-20)', 'ledger:usage_batch:10-20'],
      ['wallet.credited', 'Wallet credited 50.00 USD (top-up tu_1): Stripe top-up tu_1', 'ledger:top_up:tu_1'],
    ]);
    expect(
      dunningReminderCandidates([{ id: '3', graceStartedAtMs: T0, graceEndsAtMs: T0 + 7 * 86_400_000, offsetMs: 3 * 86_400_000, invoice: { id: 'in_1', amountDueCents: 2900, currency: 'usd' }, createdAtMs: T0, sentAtMs: null }])[0],
    ).toMatchObject({
      summary: 'Payment reminder (day 3 of the grace window ending 2026-12-04T10:00:00.000Z) recorded for invoice in_1 (29.00 USD); not sent by the mailer yet',
      key: `reminder:${T0}:${3 * 86_400_000}`,
    });
  });
});

describe('saved histories, decoded by the Temporal reader', () => {
  const decode = (name: string) =>
    decodeHistoryEvents(temporal.api.history.v1.History.decode(readFileSync(path.join(__dirname, '..', 'replay', 'histories', `${name}.binpb`))).events);

  test('dunning: the failed invoice, the grace end, each reminder, the expiry into the hard block, the payment, the restoration — in order', () => {
    const t = assembleTimeline('replay-dunning', workflowCandidates(history(run('r', decode('replay-dunning'))), V), unbounded);
    const kinds = t.entries.map((e) => e.kind);
    const at = (kind: string) => kinds.indexOf(kind);
    expect(t.entries[at('invoice.payment_failed')].summary).toBe('Payment of invoice in_replay failed: 29.00 USD due');
    expect(t.entries[at('grace.opened')].summary).toMatch(/until 2026-12-04T13:58:49\.000Z, then it is blocked unless invoice in_replay is paid/);
    expect(t.entries[at('grace.expired')].summary).toMatch(/^Grace window ended at 2026-12-04T13:58:49\.000Z unpaid: production traffic is hard-blocked/);
    expect(kinds.filter((k) => k === 'dunning.reminder')).toHaveLength(3);
    const order = ['invoice.payment_failed', 'grace.opened', 'dunning.reminder', 'grace.expired', 'invoice.paid', 'billing.restored'].map(at);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.every((i) => i >= 0)).toBe(true);
  });

  test('the wallet: spend controls, the paid top-up and its credit, the alert, the block and its lifting', () => {
    const t = assembleTimeline('replay-wallet', workflowCandidates({ workflowId: 'wallet/replay-wallet', runs: [run('r', decode('replay-wallet'))], complete: true }, V), unbounded);
    expect(t.entries.map((e) => e.kind)).toEqual(['spend.controls', 'top_up.paid', 'spend.alert', 'spend.blocked', 'wallet.credited', 'spend.unblocked']);
  });

  test('every saved history decodes and translates without throwing', () => {
    const dir = path.join(__dirname, '..', 'replay', 'histories');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.binpb'))) {
      const records = decode(file.replace(/\.binpb$/, ''));
      expect(records.length).toBeGreaterThan(0);
      expect(() => workflowCandidates(history(run('r', records)), V)).not.toThrow();
    }
  });
});
