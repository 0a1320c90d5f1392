import {
  HANDLED_EVENT_TYPES,
  MalformedEventError,
  factFromEvent,
  routeEvent,
  stripeEventEnvelope,
  type StripeEventEnvelope,
} from '../../src/domain/stripe-events';
import { checkoutFixture, checkoutSession, invoice, stripeEvent, subscription, type CheckoutFixture } from '../support/stripe-events';

const CREATED = 1_767_225_600; // 2026-01-01T00:00:00Z, in seconds as Stripe sends it

/** Parses like the webhook does, so tests feed factFromEvent what production feeds it. */
function envelope(type: string, object: Record<string, unknown>, created = CREATED): StripeEventEnvelope {
  return stripeEventEnvelope.parse(stripeEvent(type, object, created));
}

function subscriptionObject(f: CheckoutFixture, overrides: Parameters<typeof subscription>[1] = {}) {
  return subscription(f, overrides) as Record<string, unknown> & { items: { data: Record<string, unknown>[] } };
}

describe('stripeEventEnvelope', () => {
  it('accepts a Stripe-shaped event', () => {
    const event = stripeEvent('checkout.session.completed', checkoutSession(checkoutFixture()));
    expect(stripeEventEnvelope.safeParse(event).success).toBe(true);
  });

  it.each([
    ['missing id', { id: undefined }],
    ['empty id', { id: '' }],
    ['wrong object', { object: 'charge' }],
    ['empty type', { type: '' }],
    ['fractional created', { created: 1.5 }],
    ['string created', { created: '1700000000' }],
    ['no data.object', { data: {} }],
    ['array data.object', { data: { object: [] } }],
  ])('rejects an envelope with %s', (_, patch) => {
    const event = { ...stripeEvent('customer.subscription.updated', {}), ...patch };
    expect(stripeEventEnvelope.safeParse(event).success).toBe(false);
  });
});

describe('factFromEvent', () => {
  describe('checkout.session.completed', () => {
    it('becomes a checkout_completed fact with ids, plan from metadata, and paid', () => {
      const f = checkoutFixture('family', 'year');
      const event = envelope('checkout.session.completed', checkoutSession(f));
      expect(factFromEvent(event)).toEqual({
        kind: 'checkout_completed',
        eventId: event.id,
        occurredAt: CREATED * 1000,
        checkoutId: f.checkoutId,
        customerId: f.customerId,
        subscriptionId: f.subscriptionId,
        planId: 'family',
        interval: 'year',
        paid: true,
      });
    });

    it("takes occurredAt from the event's created (seconds → ms), not from the object", () => {
      const fact = factFromEvent(envelope('checkout.session.completed', checkoutSession(checkoutFixture()), 1_700_000_123));
      expect(fact?.occurredAt).toBe(1_700_000_123_000);
    });

    it.each([
      ['paid', true],
      ['no_payment_required', true],
      ['unpaid', false],
      [null, false],
    ])('payment_status %j → paid %s', (status, paid) => {
      const fact = factFromEvent(envelope('checkout.session.completed', checkoutSession(checkoutFixture(), { payment_status: status })));
      expect(fact).toMatchObject({ kind: 'checkout_completed', paid });
    });

    it('reads expanded customer and subscription objects as ids', () => {
      const f = checkoutFixture();
      const fact = factFromEvent(
        envelope('checkout.session.completed', checkoutSession(f, { customer: { id: f.customerId, object: 'customer' }, subscription: { id: f.subscriptionId } })),
      );
      expect(fact).toMatchObject({ customerId: f.customerId, subscriptionId: f.subscriptionId });
    });

    it('null customer and subscription become null', () => {
      const fact = factFromEvent(envelope('checkout.session.completed', checkoutSession(checkoutFixture(), { customer: null, subscription: null })));
      expect(fact).toMatchObject({ customerId: null, subscriptionId: null });
    });

    it.each([
      ['no metadata', null],
      ['metadata without plan', { workspaceId: 'ws_1' }],
      ['unknown plan and interval', { planId: 'gold', interval: 'week' }],
    ])('%s → plan and interval null', (_, metadata) => {
      const fact = factFromEvent(envelope('checkout.session.completed', checkoutSession(checkoutFixture(), { metadata })));
      expect(fact).toMatchObject({ planId: null, interval: null });
    });

    it("mode 'payment' sessions (wallet top-ups) are not subscription facts", () => {
      const object = checkoutSession(checkoutFixture(), { mode: 'payment', subscription: null });
      expect(factFromEvent(envelope('checkout.session.completed', object))).toBeNull();
      expect(factFromEvent(envelope('checkout.session.expired', object))).toBeNull();
    });

    it("mode 'setup' sessions → null", () => {
      expect(factFromEvent(envelope('checkout.session.completed', checkoutSession(checkoutFixture(), { mode: 'setup' })))).toBeNull();
    });
  });

  describe('checkout.session.expired', () => {
    it('becomes a checkout_expired fact', () => {
      const f = checkoutFixture();
      const event = envelope('checkout.session.expired', checkoutSession(f, { status: 'expired', payment_status: 'unpaid', subscription: null }));
      expect(factFromEvent(event)).toEqual({ kind: 'checkout_expired', eventId: event.id, occurredAt: CREATED * 1000, checkoutId: f.checkoutId });
    });
  });

  describe.each(['customer.subscription.created', 'customer.subscription.updated'])('%s', (type) => {
    it('becomes a subscription_changed fact: plan from the price lookup key, period end from the item', () => {
      const f = checkoutFixture('business', 'year');
      const periodEnd = CREATED + 365 * 86_400;
      const object = subscriptionObject(f, { currentPeriodEnd: periodEnd });
      const event = envelope(type, object);
      expect(factFromEvent(event)).toEqual({
        kind: 'subscription_changed',
        eventId: event.id,
        occurredAt: CREATED * 1000,
        subscriptionId: f.subscriptionId,
        itemId: object.items.data[0].id,
        customerId: f.customerId,
        status: 'active',
        planId: 'business',
        interval: 'year',
        currentPeriodEnd: periodEnd * 1000,
        cancelAtPeriodEnd: false,
      });
    });

    it.each(['active', 'trialing', 'past_due', 'unpaid', 'incomplete', 'incomplete_expired', 'canceled', 'paused'])(
      'passes status %s through',
      (status) => {
        expect(factFromEvent(envelope(type, subscriptionObject(checkoutFixture(), { status })))).toMatchObject({ status });
      },
    );

    it('carries cancel_at_period_end', () => {
      expect(factFromEvent(envelope(type, subscriptionObject(checkoutFixture(), { cancelAtPeriodEnd: true })))).toMatchObject({
        cancelAtPeriodEnd: true,
      });
    });
  });

  describe('subscription details', () => {
    const type = 'customer.subscription.updated';

    it('the lookup key wins over (stale) metadata after a plan change', () => {
      const f = checkoutFixture('business', 'month');
      const object = subscriptionObject(f);
      object.metadata = { workspaceId: f.workspaceId, planId: 'plus', interval: 'year' };
      expect(factFromEvent(envelope(type, object))).toMatchObject({ planId: 'business', interval: 'month' });
    });

    it.each([
      ['no lookup key', null],
      ['a lookup key that is not ours', 'legacy_gold_monthly'],
      ['an essential lookup key', 'essential_month'],
    ])('falls back to metadata when the price has %s', (_, key) => {
      const f = checkoutFixture('family', 'year');
      const object = subscriptionObject(f);
      (object.items.data[0].price as Record<string, unknown>).lookup_key = key;
      expect(factFromEvent(envelope(type, object))).toMatchObject({ planId: 'family', interval: 'year' });
    });

    it('falls back to metadata when the item has no price', () => {
      const f = checkoutFixture('family', 'month');
      const object = subscriptionObject(f);
      delete object.items.data[0].price;
      expect(factFromEvent(envelope(type, object))).toMatchObject({ planId: 'family', interval: 'month' });
    });

    it('plan and interval are null with neither a known lookup key nor metadata', () => {
      const object = subscriptionObject(checkoutFixture(), { withMetadata: false });
      (object.items.data[0].price as Record<string, unknown>).lookup_key = null;
      expect(factFromEvent(envelope(type, object))).toMatchObject({ planId: null, interval: null });
    });

    it('falls back to the top-level current_period_end (older API versions)', () => {
      const object = subscriptionObject(checkoutFixture());
      delete object.items.data[0].current_period_end;
      object.current_period_end = CREATED + 1234;
      expect(factFromEvent(envelope(type, object))).toMatchObject({ currentPeriodEnd: (CREATED + 1234) * 1000 });
    });

    it('prefers the item period end over the top-level one', () => {
      const object = subscriptionObject(checkoutFixture(), { currentPeriodEnd: CREATED + 500 });
      object.current_period_end = CREATED + 999;
      expect(factFromEvent(envelope(type, object))).toMatchObject({ currentPeriodEnd: (CREATED + 500) * 1000 });
    });

    it('period end is null when neither is present', () => {
      const object = subscriptionObject(checkoutFixture());
      delete object.items.data[0].current_period_end;
      expect(factFromEvent(envelope(type, object))).toMatchObject({ currentPeriodEnd: null });
    });

    it('no items at all: plan from metadata, period end from the top level', () => {
      const f = checkoutFixture('plus', 'year');
      const object = subscriptionObject(f);
      delete (object as Record<string, unknown>).items;
      object.current_period_end = CREATED + 42;
      expect(factFromEvent(envelope(type, object))).toMatchObject({ planId: 'plus', interval: 'year', currentPeriodEnd: (CREATED + 42) * 1000 });
    });

    it('an empty item list behaves like no items', () => {
      const f = checkoutFixture('plus', 'month');
      const object = subscriptionObject(f);
      object.items.data = [];
      expect(factFromEvent(envelope(type, object))).toMatchObject({ planId: 'plus', interval: 'month', currentPeriodEnd: null });
    });

    it('cancel_at_period_end missing → false', () => {
      const object = subscriptionObject(checkoutFixture());
      delete object.cancel_at_period_end;
      expect(factFromEvent(envelope(type, object))).toMatchObject({ cancelAtPeriodEnd: false });
    });

    it('an expanded customer object is read as its id', () => {
      const f = checkoutFixture();
      const object = subscriptionObject(f);
      object.customer = { id: f.customerId, object: 'customer' };
      expect(factFromEvent(envelope(type, object))).toMatchObject({ customerId: f.customerId });
    });
  });

  describe('customer.subscription.deleted', () => {
    it('always means canceled, keeping plan and period end', () => {
      const f = checkoutFixture('family', 'month');
      const fact = factFromEvent(envelope('customer.subscription.deleted', subscriptionObject(f, { status: 'active', currentPeriodEnd: CREATED + 10 })));
      expect(fact).toMatchObject({
        kind: 'subscription_changed',
        subscriptionId: f.subscriptionId,
        status: 'canceled',
        planId: 'family',
        interval: 'month',
        currentPeriodEnd: (CREATED + 10) * 1000,
      });
    });
  });

  it('invoice events carry the collection method and due date (ms); a send_invoice invoice is due at due_date', () => {
    const f = checkoutFixture('business', 'month');
    const due = CREATED + 30 * 86_400;
    const fact = factFromEvent(envelope('invoice.finalized', invoice(f, { id: 'in_terms', collectionMethod: 'send_invoice', dueDate: due })));
    expect(fact).toMatchObject({ kind: 'invoice_changed', invoiceId: 'in_terms', status: 'open', paymentFailed: false, collectionMethod: 'send_invoice', dueAt: due * 1000 });
    expect(fact).not.toHaveProperty('actionRequired');
    const charged = factFromEvent(envelope('invoice.finalized', invoice(f, { id: 'in_card' })));
    expect(charged).toMatchObject({ collectionMethod: 'charge_automatically', dueAt: null });
  });

  it('invoice.payment_action_required is an open invoice that needs the customer; invoice.overdue is news about an open invoice', () => {
    const f = checkoutFixture();
    expect(factFromEvent(envelope('invoice.payment_action_required', invoice(f, { id: 'in_3ds' })))).toMatchObject({
      kind: 'invoice_changed',
      invoiceId: 'in_3ds',
      status: 'open',
      paymentFailed: false,
      actionRequired: true,
    });
    expect(factFromEvent(envelope('invoice.overdue', invoice(f, { id: 'in_late', collectionMethod: 'send_invoice', dueDate: CREATED - 60 })))).toMatchObject({
      kind: 'invoice_changed',
      status: 'open',
      paymentFailed: false,
      dueAt: (CREATED - 60) * 1000,
    });
  });

  it('a subscription sales created (metadata.planId=enterprise) is Enterprise whatever its price', () => {
    const f = checkoutFixture('business', 'year');
    const object = subscriptionObject(f);
    object.metadata = { workspaceId: f.workspaceId, planId: 'enterprise' };
    expect(factFromEvent(envelope('customer.subscription.created', object))).toMatchObject({ planId: 'enterprise', interval: 'year' });
    object.items.data[0].price = { id: 'price_contract', object: 'price', lookup_key: null, recurring: { interval: 'month' } };
    expect(factFromEvent(envelope('customer.subscription.created', object))).toMatchObject({ planId: 'enterprise', interval: null });
    // A self-serve subscription's price wins over stale metadata (plan changes swap the price).
    const selfServe = subscriptionObject(checkoutFixture('business', 'month'));
    selfServe.metadata = { planId: 'plus', interval: 'month' };
    expect(factFromEvent(envelope('customer.subscription.updated', selfServe))).toMatchObject({ planId: 'business', interval: 'month' });
  });

  it('handles exactly the documented event types', () => {
    expect([...HANDLED_EVENT_TYPES].sort()).toEqual([
      'checkout.session.completed',
      'checkout.session.expired',
      'customer.subscription.created',
      'customer.subscription.deleted',
      'customer.subscription.updated',
      'invoice.finalized',
      'invoice.marked_uncollectible',
      'invoice.overdue',
      'invoice.paid',
      'invoice.payment_action_required',
      'invoice.payment_failed',
      'invoice.voided',
      'payment_intent.succeeded',
    ]);
  });

  it.each([
    'customer.created',
    'checkout.session.async_payment_succeeded',
    'customer.subscription.trial_will_end',
    'charge.refunded',
  ])('unhandled type %s → null, even with an object it could not parse', (type) => {
    expect(factFromEvent(envelope(type, { id: 'x', object: 'whatever', nonsense: [1, 2, 3] }))).toBeNull();
  });

  describe('malformed objects → MalformedEventError', () => {
    const cases: [string, string, (f: CheckoutFixture) => Record<string, unknown>][] = [
      ['session without id', 'checkout.session.completed', (f) => ({ ...checkoutSession(f), id: undefined })],
      ['session without mode', 'checkout.session.completed', (f) => ({ ...checkoutSession(f), mode: undefined })],
      ['expired session with numeric id', 'checkout.session.expired', (f) => ({ ...checkoutSession(f), id: 42 })],
      ['session with non-string metadata', 'checkout.session.completed', (f) => ({ ...checkoutSession(f), metadata: { planId: 3 } })],
      ['session with numeric customer', 'checkout.session.completed', (f) => ({ ...checkoutSession(f), customer: 7 })],
      ['subscription without id', 'customer.subscription.updated', (f) => ({ ...subscription(f), id: undefined })],
      ['subscription with unknown status', 'customer.subscription.created', (f) => ({ ...subscription(f), status: 'zombie' })],
      ['subscription without status', 'customer.subscription.updated', (f) => ({ ...subscription(f), status: undefined })],
      ['subscription items not a list', 'customer.subscription.updated', (f) => ({ ...subscription(f), items: { data: 'nope' } })],
      ['subscription with string period end', 'customer.subscription.updated', (f) => ({ ...subscription(f), current_period_end: 'tomorrow' })],
      ['deleted subscription without id', 'customer.subscription.deleted', (f) => ({ ...subscription(f), id: null })],
    ];

    it.each(cases)('%s', (_, type, build) => {
      const event = envelope(type, build(checkoutFixture()));
      expect(() => factFromEvent(event)).toThrow(MalformedEventError);
      try {
        factFromEvent(event);
      } catch (err) {
        expect((err as Error).name).toBe('MalformedEventError');
        expect((err as Error).message).toContain(type);
      }
    });
  });
});

describe('routeEvent', () => {
  it("routes by the object's metadata.workspaceId first", () => {
    const f = checkoutFixture();
    expect(routeEvent(envelope('checkout.session.completed', checkoutSession(f)))).toEqual({
      workspaceId: f.workspaceId,
      guestCheckoutId: null,
      customerId: f.customerId,
      subscriptionId: f.subscriptionId,
    });
  });

  it("a subscription's own id is its subscriptionId", () => {
    const f = checkoutFixture();
    expect(routeEvent(envelope('customer.subscription.updated', subscription(f)))).toEqual({
      workspaceId: f.workspaceId,
      guestCheckoutId: null,
      customerId: f.customerId,
      subscriptionId: f.subscriptionId,
    });
  });

  const invoice = (f: CheckoutFixture, overrides: Record<string, unknown> = {}) => ({
    id: 'in_1',
    object: 'invoice',
    customer: f.customerId,
    metadata: {},
    parent: {
      type: 'subscription_details',
      subscription_details: { metadata: { workspaceId: f.workspaceId }, subscription: f.subscriptionId },
    },
    ...overrides,
  });

  it("then by the invoice's subscription metadata snapshot (parent.subscription_details.metadata)", () => {
    const f = checkoutFixture();
    expect(routeEvent(envelope('invoice.payment_failed', invoice(f)))).toEqual({
      workspaceId: f.workspaceId,
      guestCheckoutId: null,
      customerId: f.customerId,
      subscriptionId: f.subscriptionId,
    });
  });

  it("the object's own metadata wins over the invoice snapshot", () => {
    const f = checkoutFixture();
    const routed = routeEvent(envelope('invoice.paid', invoice(f, { metadata: { workspaceId: 'ws_direct' } })));
    expect(routed.workspaceId).toBe('ws_direct');
  });

  it("uses the snapshot when the object's metadata has no workspaceId", () => {
    const f = checkoutFixture();
    const routed = routeEvent(envelope('invoice.paid', invoice(f, { metadata: { other: 'x' } })));
    expect(routed.workspaceId).toBe(f.workspaceId);
  });

  it('falls back to customer and subscription ids for the stored mapping when no metadata names the workspace', () => {
    const f = checkoutFixture();
    const routed = routeEvent(
      envelope('invoice.paid', invoice(f, { metadata: null, parent: { subscription_details: { metadata: {}, subscription: { id: f.subscriptionId } } } })),
    );
    expect(routed).toEqual({ workspaceId: null, guestCheckoutId: null, customerId: f.customerId, subscriptionId: f.subscriptionId });
  });

  it('a top-level subscription field wins over the snapshot subscription', () => {
    const f = checkoutFixture();
    const routed = routeEvent(envelope('invoice.paid', invoice(f, { subscription: 'sub_top' })));
    expect(routed.subscriptionId).toBe('sub_top');
  });

  it('a subscription without workspace metadata routes by ids', () => {
    const f = checkoutFixture();
    expect(routeEvent(envelope('customer.subscription.deleted', subscription(f, { withMetadata: false })))).toEqual({
      workspaceId: null,
      guestCheckoutId: null,
      customerId: f.customerId,
      subscriptionId: f.subscriptionId,
    });
  });

  it('an object with nothing to route by gives all nulls', () => {
    expect(routeEvent(envelope('customer.created', { id: 'cus_x', object: 'customer' }))).toEqual({
      workspaceId: null,
      guestCheckoutId: null,
      customerId: null,
      subscriptionId: null,
    });
  });

  it("reads a guest checkout's id from the object's metadata or the invoice snapshot", () => {
    const f = checkoutFixture();
    const session = { ...checkoutSession(f), metadata: { guestCheckoutId: 'gco_1', planId: 'plus', interval: 'month' } };
    expect(routeEvent(envelope('checkout.session.completed', session))).toMatchObject({ workspaceId: null, guestCheckoutId: 'gco_1' });
    const snapshot = invoice(f, { parent: { subscription_details: { metadata: { guestCheckoutId: 'gco_2' }, subscription: f.subscriptionId } } });
    expect(routeEvent(envelope('invoice.paid', snapshot))).toMatchObject({ workspaceId: null, guestCheckoutId: 'gco_2', subscriptionId: f.subscriptionId });
  });

  it('reads an expanded customer object as its id', () => {
    const routed = routeEvent(envelope('invoice.paid', { id: 'in_1', object: 'invoice', customer: { id: 'cus_9' } }));
    expect(routed.customerId).toBe('cus_9');
  });

  it('rejects unroutable garbage with MalformedEventError', () => {
    expect(() => routeEvent(envelope('invoice.paid', { id: 'in_1', metadata: 'not-an-object' }))).toThrow(MalformedEventError);
    expect(() => routeEvent(envelope('invoice.paid', { id: 'in_1', customer: 12 }))).toThrow(MalformedEventError);
  });
});
