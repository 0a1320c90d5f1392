// Which notifications a change makes (src/domain/notifications.ts): the
// transitions between two stored projections, and the one-cause-one-key rule
// of every other source. Every draft's data parses with the published schema.
import {
  belowMinimumNotification,
  capReachedNotification,
  creditNotification,
  guestCheckoutNotifications,
  notificationBody,
  projectionNotifications,
  reminderNotification,
  spendAlertNotification,
  type AnyNotificationDraft,
} from '../../src/domain/notifications';
import { notificationBodySchema, notificationEnvelopeSchemas } from '../../src/domain/notification-schemas';
import type { GuestCheckoutView } from '../../src/domain/guest-checkout';
import { essentialProjection, type BillingProjection } from '../../src/domain/projection';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-29T12:00:00Z');
const START = Date.parse('2026-11-27T10:00:00Z');
const INVOICE = { id: 'in_1', amountDueCents: 2900, currency: 'usd', hostedInvoiceUrl: 'https://invoice.stripe.test/in_1' };

function active(overrides: Partial<BillingProjection> = {}): BillingProjection {
  return {
    ...essentialProjection('acme'),
    planId: 'plus',
    interval: 'month',
    status: 'active',
    mode: 'self_serve',
    stripeCustomerId: 'cus_1',
    stripeSubscriptionId: 'sub_1',
    currentPeriodEnd: Date.parse('2026-12-27T10:00:00Z'),
    version: 3,
    ...overrides,
  };
}
const pastDue = (overrides: Partial<BillingProjection> = {}) =>
  active({
    status: 'past_due',
    mode: 'billing_recovery',
    grace: { startedAt: START, endsAt: START + 7 * DAY, expired: false },
    unpaidInvoice: INVOICE,
    ...overrides,
  });

const types = (drafts: AnyNotificationDraft[]) => drafts.map((d) => d.type);

/** Every draft must be a valid body of its type, as a receiver parses it. */
function valid(drafts: AnyNotificationDraft[]): AnyNotificationDraft[] {
  for (const d of drafts) {
    const body = JSON.parse(notificationBody('ntf_0123456789abcdef0123456789abcdef', d));
    expect(() => notificationEnvelopeSchemas[d.type].parse(body)).not.toThrow();
    expect(notificationBodySchema.parse(body).type).toBe(d.type);
  }
  return drafts;
}

describe('projection transitions', () => {
  test('a first live subscription is checkout.completed, naming the checkout that was open', () => {
    const before = { ...essentialProjection('acme'), status: 'incomplete' as const, mode: 'checkout_pending' as const, checkout: { id: 'cs_1', url: 'https://c', expiresAt: NOW }, version: 2 };
    const drafts = valid(projectionNotifications(before, active(), NOW));
    expect(drafts).toEqual([
      {
        type: 'checkout.completed',
        sourceKey: 'workspace/acme:subscription:sub_1:started',
        workspaceId: 'acme',
        occurredAt: NOW,
        data: { subscriptionId: 'sub_1', checkoutId: 'cs_1', plan: { id: 'plus', interval: 'month' } },
      },
    ]);
    // Nothing stored yet (e.g. a subscription created by sales): no checkout to name.
    expect(valid(projectionNotifications(null, active(), NOW))[0].data).toMatchObject({ checkoutId: null });
  });

  test('rewriting the same state, or a change that is no lifecycle event, notifies nothing', () => {
    expect(projectionNotifications(active(), active({ version: 4 }), NOW)).toEqual([]);
    expect(projectionNotifications(active(), active({ version: 4, currentPeriodEnd: NOW + 30 * DAY }), NOW)).toEqual([]);
    expect(projectionNotifications(null, essentialProjection('acme'), NOW)).toEqual([]);
    // A subscription ending is not one of the event types.
    expect(projectionNotifications(active(), { ...essentialProjection('acme'), status: 'canceled', version: 4 }, NOW)).toEqual([]);
  });

  test('a plan or interval change of the same subscription is subscription.plan_changed, keyed by the version written', () => {
    const drafts = valid(projectionNotifications(active(), active({ planId: 'business', version: 7 }), NOW));
    expect(drafts).toEqual([
      expect.objectContaining({
        type: 'subscription.plan_changed',
        sourceKey: 'workspace/acme:plan-changed:v7',
        data: { subscriptionId: 'sub_1', from: { id: 'plus', interval: 'month' }, to: { id: 'business', interval: 'month' } },
      }),
    ]);
    expect(types(projectionNotifications(active(), active({ interval: 'year', version: 8 }), NOW))).toEqual(['subscription.plan_changed']);
    // Another subscription replacing the live one is a new start, not a plan change.
    expect(types(projectionNotifications(active(), active({ stripeSubscriptionId: 'sub_2', planId: 'family', version: 8 }), NOW))).toEqual([
      'checkout.completed',
    ]);
  });

  test('a new or different pending change is subscription.change_scheduled; the same one again is not', () => {
    const pending = { targetPlanId: 'essential' as const, interval: 'month' as const, effectiveAt: '2026-12-27T10:00:00.000Z' };
    const scheduled = active({ pendingChange: pending, version: 5 });
    const drafts = valid(projectionNotifications(active(), scheduled, NOW));
    expect(drafts).toEqual([
      expect.objectContaining({
        type: 'subscription.change_scheduled',
        sourceKey: 'workspace/acme:change-scheduled:v5',
        data: { subscriptionId: 'sub_1', currentPlan: { id: 'plus', interval: 'month' }, targetPlanId: 'essential', interval: 'month', effectiveAt: pending.effectiveAt },
      }),
    ]);
    expect(projectionNotifications(scheduled, { ...scheduled, version: 6 }, NOW)).toEqual([]);
    expect(types(projectionNotifications(scheduled, active({ pendingChange: { ...pending, targetPlanId: 'family' }, version: 6 }), NOW))).toEqual([
      'subscription.change_scheduled',
    ]);
    // Cancelling it is told through /billing, not a notification.
    expect(projectionNotifications(scheduled, active({ version: 7 }), NOW)).toEqual([]);
  });

  test('a grace window opening is billing.payment_failed with graceEndsAt, once per window', () => {
    const drafts = valid(projectionNotifications(active(), pastDue({ version: 4 }), NOW));
    expect(drafts).toEqual([
      {
        type: 'billing.payment_failed',
        sourceKey: `workspace/acme:grace:${START}:opened`,
        workspaceId: 'acme',
        occurredAt: NOW,
        data: { graceStartedAt: '2026-11-27T10:00:00.000Z', graceEndsAt: '2026-12-04T10:00:00.000Z', plan: { id: 'plus', interval: 'month' }, unpaidInvoice: INVOICE },
      },
    ]);
    // The open window written again, or re-anchored to earlier evidence: not a new failure.
    expect(projectionNotifications(pastDue(), pastDue({ version: 5 }), NOW)).toEqual([]);
    expect(projectionNotifications(pastDue(), pastDue({ grace: { startedAt: START - DAY, endsAt: START + 6 * DAY, expired: false }, version: 5 }), NOW)).toEqual([]);
    // A window that starts after the stored one is a new delinquency (the old one closed between two writes).
    const later = START + 20 * DAY;
    const next = projectionNotifications(pastDue(), pastDue({ grace: { startedAt: later, endsAt: later + 7 * DAY, expired: false }, version: 9 }), NOW);
    expect(next.map((d) => d.sourceKey)).toEqual([`workspace/acme:grace:${later}:opened`]);
  });

  test('expiry is billing.grace_expired once per window end; an extended window that expires again is a new expiry', () => {
    const open = pastDue();
    const expired = pastDue({ mode: 'enforced_recovery', grace: { startedAt: START, endsAt: START + 7 * DAY, expired: true }, version: 6 });
    const drafts = valid(projectionNotifications(open, expired, NOW));
    expect(drafts).toEqual([
      expect.objectContaining({
        type: 'billing.grace_expired',
        sourceKey: `workspace/acme:grace:${START}:${START + 7 * DAY}:expired`,
        data: { graceStartedAt: '2026-11-27T10:00:00.000Z', graceEndsAt: '2026-12-04T10:00:00.000Z', unpaidInvoice: INVOICE },
      }),
    ]);
    expect(projectionNotifications(expired, { ...expired, version: 7 }, NOW)).toEqual([]);
    const extendedAgain = pastDue({ mode: 'enforced_recovery', grace: { startedAt: START, endsAt: START + 10 * DAY, expired: true }, version: 9 });
    expect(projectionNotifications(expired, extendedAgain, NOW).map((d) => d.sourceKey)).toEqual([`workspace/acme:grace:${START}:${START + 10 * DAY}:expired`]);
    // Opened and expired between two writes (the worker was down): both are told.
    expect(types(projectionNotifications(active(), expired, NOW))).toEqual(['billing.payment_failed', 'billing.grace_expired']);
  });

  test('past_due → active is billing.restored, from billing or enforced recovery', () => {
    const enforced = pastDue({ mode: 'enforced_recovery', grace: { startedAt: START, endsAt: START + 7 * DAY, expired: true } });
    const drafts = valid(projectionNotifications(enforced, active({ version: 8 }), NOW));
    expect(drafts).toEqual([
      expect.objectContaining({
        type: 'billing.restored',
        sourceKey: 'workspace/acme:restored:v8',
        data: { plan: { id: 'plus', interval: 'month' }, previousMode: 'enforced_recovery', graceStartedAt: '2026-11-27T10:00:00.000Z' },
      }),
    ]);
    expect(types(projectionNotifications(pastDue(), active({ version: 8 }), NOW))).toEqual(['billing.restored']);
    // Ending unpaid is not a restoration.
    expect(projectionNotifications(pastDue(), { ...essentialProjection('acme'), status: 'canceled', version: 8 }, NOW)).toEqual([]);
  });

  test('the same transition computed again (a retried write) gives the same keys', () => {
    const before = active();
    const after = pastDue({ planId: 'business', version: 4 });
    expect(projectionNotifications(before, after, NOW)).toEqual(projectionNotifications(before, after, NOW));
  });
});

describe('the other sources', () => {
  test('a dunning reminder: one per window start and offset, with the offset', () => {
    const reminder = valid([reminderNotification({ workspaceId: 'acme', graceStartedAt: START, graceEndsAt: START + 7 * DAY, offsetMs: 3 * DAY, invoice: INVOICE }, NOW)])[0];
    expect(reminder).toEqual({
      type: 'billing.payment_reminder',
      sourceKey: `workspace/acme:grace:${START}:reminder:${3 * DAY}`,
      workspaceId: 'acme',
      occurredAt: NOW,
      data: { offset: '3d', offsetMs: 3 * DAY, dueAt: '2026-11-30T10:00:00.000Z', graceStartedAt: '2026-11-27T10:00:00.000Z', graceEndsAt: '2026-12-04T10:00:00.000Z', unpaidInvoice: INVOICE },
    });
    expect(reminderNotification({ workspaceId: 'acme', graceStartedAt: START, graceEndsAt: 0, offsetMs: 0, invoice: null }, NOW).data).toMatchObject({ offset: '0ms' });
  });

  test('wallet credits: top-ups and grants, keyed by their source; adjustments are not told', () => {
    const topUp = creditNotification({ workspaceId: 'acme', kind: 'top_up', amountCents: 5000, sourceType: 'top_up', sourceId: 'tu_acme_1', balanceCents: 6200 }, NOW)!;
    valid([topUp]);
    expect(topUp).toMatchObject({
      type: 'wallet.credited',
      sourceKey: 'workspace/acme:credit:top_up:tu_acme_1',
      data: { kind: 'top_up', amountCents: 5000, balanceCents: 6200, source: { type: 'top_up', id: 'tu_acme_1' } },
    });
    expect(creditNotification({ workspaceId: 'acme', kind: 'grant', amountCents: 100, sourceType: 'operator_grant', sourceId: 'T-1', balanceCents: 100 }, NOW)?.sourceKey).toBe(
      'workspace/acme:credit:operator_grant:T-1',
    );
    expect(creditNotification({ workspaceId: 'acme', kind: 'adjustment', amountCents: 100, sourceType: 'fix', sourceId: 'x', balanceCents: 100 }, NOW)).toBeNull();
  });

  test('wallet.below_minimum only when a debit crosses the minimum', () => {
    const crossing = (before: number, after: number) =>
      belowMinimumNotification({ workspaceId: 'acme', debitSourceId: '10-20', balanceBeforeCents: before, balanceAfterCents: after, minimumCents: 1000 }, NOW);
    const d = crossing(1000, 999)!;
    valid([d]);
    expect(d).toMatchObject({ sourceKey: 'workspace/acme:below-minimum:10-20', data: { balanceCents: 999, previousBalanceCents: 1000, minimumCents: 1000 } });
    expect(crossing(1500, 1000)).toBeNull();
    expect(crossing(900, 800)).toBeNull(); // already below: told when it crossed
  });

  test('spend alerts per threshold and month; the cap once per month and cap', () => {
    const alert = spendAlertNotification({ workspaceId: 'acme', month: '2026-11', thresholdPercent: 80, spentCents: 8000, capCents: 10000 }, NOW);
    valid([alert]);
    expect(alert.sourceKey).toBe('workspace/acme:spend:2026-11:threshold:80');
    const cap = (previousBlockedMonth: string | null, blockedMonth: string | null, capCents = 10000) =>
      capReachedNotification({ workspaceId: 'acme', previousBlockedMonth, blockedMonth, capCents, spentCents: 10050 }, NOW);
    const reached = cap(null, '2026-11')!;
    valid([reached]);
    expect(reached).toMatchObject({ sourceKey: 'workspace/acme:spend:2026-11:cap:10000', data: { month: '2026-11', capCents: 10000, spentCents: 10050, blocksProduction: true } });
    expect(cap('2026-11', '2026-11')).toBeNull();
    expect(cap('2026-11', null)).toBeNull();
    expect(cap('2026-10', '2026-11')?.sourceKey).toBe('workspace/acme:spend:2026-11:cap:10000');
    expect(cap(null, '2026-11', 20000)?.sourceKey).toBe('workspace/acme:spend:2026-11:cap:20000');
  });

  test('a guest checkout flagged while unclaimed: once, with no workspace', () => {
    const view: GuestCheckoutView = {
      checkoutId: 'gco_1',
      email: 'pat@example.com',
      planId: 'plus',
      interval: 'year',
      status: 'paid',
      billingStatus: 'active',
      stripeCustomerId: 'cus_g',
      stripeCheckoutSessionId: 'cs_g',
      stripeSubscriptionId: 'sub_g',
      expiresAt: null,
      paidAt: START,
      flaggedAt: NOW,
      claimedWorkspaceId: null,
      claimedAt: null,
      createdAt: START,
      version: 4,
    };
    const drafts = valid(guestCheckoutNotifications({ flaggedAt: null }, view, NOW));
    expect(drafts).toEqual([
      {
        type: 'guest_checkout.unclaimed',
        sourceKey: 'guest-checkout/gco_1:unclaimed',
        workspaceId: null,
        occurredAt: NOW,
        data: {
          checkoutId: 'gco_1',
          email: 'pat@example.com',
          plan: { id: 'plus', interval: 'year' },
          paidAt: '2026-11-27T10:00:00.000Z',
          flaggedAt: '2026-11-29T12:00:00.000Z',
          stripe: { customerId: 'cus_g', subscriptionId: 'sub_g' },
        },
      },
    ]);
    expect(guestCheckoutNotifications({ flaggedAt: NOW }, { ...view, version: 5 }, NOW)).toEqual([]);
    expect(guestCheckoutNotifications({ flaggedAt: null }, { ...view, claimedWorkspaceId: 'acme' }, NOW)).toEqual([]);
    expect(guestCheckoutNotifications({ flaggedAt: null }, { ...view, flaggedAt: null }, NOW)).toEqual([]);
  });
});
