// Plan-change activities against stripe-mock (through a recording proxy):
// every request is valid for Stripe's API (stripe-mock answers 200) and
// carries exactly the form fields and idempotency key we mean to send.
// stripe-mock answers with fixtures, so where a test needs a particular
// answer (an applied update, a legacy payload) the client's response is
// altered after stripe-mock has validated the request.
import { ApplicationFailure } from '@temporalio/common';
import type Stripe from 'stripe';
import { createPlanChangeActivities } from '../../activities/stripe-plan-changes';
import { createPriceLookup } from '../../activities/stripe-prices';
import { createStripeClient } from '../../src/infra/stripe-client';
import { uniqueId } from '../support/db';
import { startStripeRecorder, type StripeRecorder } from '../support/stripe-recorder';
import { TEST_SECRETS } from '../support/test-env';

let recorder: StripeRecorder;
let stripe: Stripe;

beforeAll(async () => {
  recorder = await startStripeRecorder();
  stripe = createStripeClient(TEST_SECRETS.STRIPE_SECRET_KEY, recorder.url);
});

afterAll(async () => {
  await recorder.close();
});

beforeEach(() => {
  recorder.requests.length = 0;
});

/** A fresh set of activities, so every test sees its own price lookups. */
function activitiesFor(client: Stripe = stripe) {
  return createPlanChangeActivities({ stripe: client });
}

type SubscriptionPatch = (subscription: Stripe.Subscription) => Stripe.Subscription;

/** The real client, except that subscription updates come back altered by `patch`. */
function withSubscriptionUpdates(patch: SubscriptionPatch): Stripe {
  const subscriptions = Object.create(stripe.subscriptions) as Stripe['subscriptions'];
  subscriptions.update = (async (...args: Parameters<Stripe['subscriptions']['update']>) =>
    patch(await stripe.subscriptions.update(...args))) as Stripe['subscriptions']['update'];
  return Object.assign(Object.create(stripe) as Stripe, { subscriptions });
}

const PRORATION_DATE = 1_767_225_600; // 2026-01-01T00:00:00Z, epoch seconds

describe('previewPlanChange', () => {
  test('an immediate change is previewed with the new price, always_invoice and the given proration date', async () => {
    const preview = await activitiesFor().previewPlanChange({
      customerId: 'cus_preview_1',
      subscriptionId: 'sub_preview_1',
      itemId: 'si_preview_1',
      planId: 'business',
      interval: 'month',
      prorationDate: PRORATION_DATE,
    });

    expect(recorder.requests).toHaveLength(2);
    const [priceLookup, request] = recorder.requests;
    expect(priceLookup).toMatchObject({ method: 'GET', path: '/v1/prices', status: 200, form: { 'lookup_keys[0]': 'business_month', active: 'true' } });
    expect(request).toMatchObject({ method: 'POST', path: '/v1/invoices/create_preview', status: 200 });
    expect(request.form).toEqual({
      customer: 'cus_preview_1',
      subscription: 'sub_preview_1',
      'subscription_details[items][0][id]': 'si_preview_1',
      'subscription_details[items][0][price]': expect.stringMatching(/^price_/),
      'subscription_details[proration_behavior]': 'always_invoice',
      'subscription_details[proration_date]': String(PRORATION_DATE),
    });

    expect(Number.isInteger(preview.amountDueCents)).toBe(true);
    expect(preview.currency).toBe('usd');
    expect(preview.prorationDate).toBe(PRORATION_DATE);
  });

  test('a period-end change is previewed without proration and without a proration date', async () => {
    const preview = await activitiesFor().previewPlanChange({
      customerId: 'cus_preview_2',
      subscriptionId: 'sub_preview_2',
      itemId: 'si_preview_2',
      planId: 'plus',
      interval: 'year',
      prorationDate: PRORATION_DATE,
      timing: 'period_end',
    });

    const request = recorder.requests.at(-1)!;
    expect(request).toMatchObject({ path: '/v1/invoices/create_preview', status: 200 });
    expect(request.form).toEqual({
      customer: 'cus_preview_2',
      subscription: 'sub_preview_2',
      'subscription_details[items][0][id]': 'si_preview_2',
      'subscription_details[items][0][price]': expect.stringMatching(/^price_/),
      'subscription_details[proration_behavior]': 'none',
    });
    expect(preview.prorationDate).toBeNull();
  });

  test('the amount due is taken from amount_due as integer cents, with the invoice currency', async () => {
    const invoices = Object.create(stripe.invoices) as Stripe['invoices'];
    invoices.createPreview = (async (...args: Parameters<Stripe['invoices']['createPreview']>) => ({
      ...(await stripe.invoices.createPreview(...args)),
      amount_due: 12_345,
      total: 99_999,
      subtotal: 88_888,
      currency: 'eur',
    })) as Stripe['invoices']['createPreview'];
    const client = Object.assign(Object.create(stripe) as Stripe, { invoices });

    const preview = await activitiesFor(client).previewPlanChange({
      customerId: 'cus_preview_3',
      subscriptionId: 'sub_preview_3',
      itemId: 'si_preview_3',
      planId: 'family',
      interval: 'month',
      prorationDate: PRORATION_DATE,
    });

    expect(recorder.requests.at(-1)).toMatchObject({ path: '/v1/invoices/create_preview', status: 200 });
    expect(preview).toEqual({ amountDueCents: 12_345, currency: 'eur', prorationDate: PRORATION_DATE });
  });
});

describe('applyPlanChange', () => {
  test('an immediate change is a pending-if-incomplete update with the preview proration date and the idempotency key', async () => {
    const workspaceId = uniqueId('ws');
    const idempotencyKey = `workspace/${workspaceId}:plan-change:1`;
    const applied = await activitiesFor().applyPlanChange({
      subscriptionId: 'sub_apply_1',
      itemId: 'si_apply_1',
      planId: 'business',
      interval: 'year',
      timing: 'immediate',
      prorationDate: PRORATION_DATE,
      workspaceId,
      idempotencyKey,
    });

    // stripe-mock's subscription fixture carries a pending_update, i.e. the
    // answer Stripe gives when the proration invoice was not paid: the plan
    // did not change, so nothing more is written.
    const updates = recorder.requests.filter((r) => r.method === 'POST');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ path: '/v1/subscriptions/sub_apply_1', status: 200, idempotencyKey });
    expect(updates[0].form).toEqual({
      'items[0][id]': 'si_apply_1',
      'items[0][price]': expect.stringMatching(/^price_/),
      proration_behavior: 'always_invoice',
      proration_date: String(PRORATION_DATE),
      payment_behavior: 'pending_if_incomplete',
    });

    expect(applied.subscriptionId).toBe('sub_apply_1');
    expect(applied.status).toBe('active');
    expect(applied.itemId).toMatch(/^si_/);
    expect(applied.pendingUpdateExpiresAt).toEqual(expect.any(Number));
    expect(applied.pendingUpdateExpiresAt! % 1000).toBe(0);
    expect(applied.currentPeriodEnd).toEqual(expect.any(Number));
    expect(applied.currentPeriodEnd! % 1000).toBe(0);
  });

  test('an applied immediate change then records metadata and clears cancel_at_period_end under a derived key', async () => {
    const workspaceId = uniqueId('ws');
    const idempotencyKey = `workspace/${workspaceId}:plan-change:2`;
    const client = withSubscriptionUpdates((sub) => ({ ...sub, pending_update: null }));
    const applied = await activitiesFor(client).applyPlanChange({
      subscriptionId: 'sub_apply_2',
      itemId: 'si_apply_2',
      planId: 'family',
      interval: 'month',
      timing: 'immediate',
      workspaceId,
      idempotencyKey,
    });

    const updates = recorder.requests.filter((r) => r.method === 'POST');
    expect(updates).toHaveLength(2);
    expect(updates[0]).toMatchObject({ path: '/v1/subscriptions/sub_apply_2', status: 200, idempotencyKey });
    // No proration date given: Stripe prorates as of now.
    expect(updates[0].form).toEqual({
      'items[0][id]': 'si_apply_2',
      'items[0][price]': expect.stringMatching(/^price_/),
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
    });
    expect(updates[1]).toMatchObject({
      path: '/v1/subscriptions/sub_apply_2',
      status: 200,
      idempotencyKey: `${idempotencyKey}:metadata`,
    });
    expect(updates[1].form).toEqual({
      cancel_at_period_end: 'false',
      'metadata[workspaceId]': workspaceId,
      'metadata[planId]': 'family',
      'metadata[interval]': 'month',
    });
    expect(applied.pendingUpdateExpiresAt).toBeNull();
  });

  test('a period-end change switches the price without proration, with metadata, in one request', async () => {
    const workspaceId = uniqueId('ws');
    const idempotencyKey = `workspace/${workspaceId}:plan-change:3`;
    const applied = await activitiesFor(withSubscriptionUpdates((sub) => ({ ...sub, pending_update: null }))).applyPlanChange({
      subscriptionId: 'sub_apply_3',
      itemId: 'si_apply_3',
      planId: 'plus',
      interval: 'month',
      timing: 'period_end',
      // Ignored: Stripe refuses a proration date without proration.
      prorationDate: PRORATION_DATE,
      workspaceId,
      idempotencyKey,
    });

    const [priceLookup, ...updates] = recorder.requests;
    expect(priceLookup).toMatchObject({ method: 'GET', form: { 'lookup_keys[0]': 'plus_month' } });
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ method: 'POST', path: '/v1/subscriptions/sub_apply_3', status: 200, idempotencyKey });
    expect(updates[0].form).toEqual({
      'items[0][id]': 'si_apply_3',
      'items[0][price]': expect.stringMatching(/^price_/),
      proration_behavior: 'none',
      cancel_at_period_end: 'false',
      'metadata[workspaceId]': workspaceId,
      'metadata[planId]': 'plus',
      'metadata[interval]': 'month',
    });
    expect(applied.pendingUpdateExpiresAt).toBeNull();
  });

  test('the period end comes from the changed item in ms, else from a legacy top-level current_period_end', async () => {
    const itemPeriodEnd = 1_769_904_000;
    const fromItem = await activitiesFor(
      withSubscriptionUpdates((sub) => {
        const other = { ...sub.items.data[0], id: 'si_other', current_period_end: 1 };
        const changed = { ...sub.items.data[0], id: 'si_period_1', current_period_end: itemPeriodEnd };
        return { ...sub, pending_update: null, items: { ...sub.items, data: [other, changed] } };
      }),
    ).applyPlanChange({
      subscriptionId: 'sub_period_1',
      itemId: 'si_period_1',
      planId: 'plus',
      interval: 'month',
      timing: 'period_end',
      workspaceId: 'ws_period',
      idempotencyKey: 'k-period-1',
    });
    expect(fromItem).toMatchObject({ itemId: 'si_period_1', currentPeriodEnd: itemPeriodEnd * 1000 });

    const legacyPeriodEnd = 1_772_323_200;
    const fromLegacy = await activitiesFor(
      withSubscriptionUpdates((sub) => {
        const item = { ...sub.items.data[0], current_period_end: undefined } as unknown as Stripe.SubscriptionItem;
        return { ...sub, pending_update: null, current_period_end: legacyPeriodEnd, items: { ...sub.items, data: [item] } };
      }),
    ).applyPlanChange({
      subscriptionId: 'sub_period_2',
      itemId: 'si_period_2',
      planId: 'plus',
      interval: 'month',
      timing: 'period_end',
      workspaceId: 'ws_period',
      idempotencyKey: 'k-period-2',
    });
    expect(fromLegacy.currentPeriodEnd).toBe(legacyPeriodEnd * 1000);

    expect(recorder.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([200, 200]);
  });
});

describe('setCancelAtPeriodEnd', () => {
  test.each([true, false])('cancel=%s is sent as cancel_at_period_end with the idempotency key and read back', async (cancel) => {
    const idempotencyKey = `workspace/${uniqueId('ws')}:cancel-at-period-end:${cancel}`;
    const result = await activitiesFor().setCancelAtPeriodEnd({ subscriptionId: 'sub_cancel_1', cancel, idempotencyKey });

    expect(recorder.requests).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/v1/subscriptions/sub_cancel_1',
        status: 200,
        idempotencyKey,
        form: { cancel_at_period_end: String(cancel) },
      }),
    ]);
    // stripe-mock reflects the posted value into its fixture.
    expect(result.subscriptionId).toBe('sub_cancel_1');
    expect(result.cancelAtPeriodEnd).toBe(cancel);
    expect(result.currentPeriodEnd).toEqual(expect.any(Number));
    expect(result.currentPeriodEnd! % 1000).toBe(0);
  });
});

describe('rejected requests', () => {
  test('a request Stripe rejects becomes a non-retryable payment_provider_error', async () => {
    const activities = activitiesFor();
    const previewFailure = await activities
      .previewPlanChange({
        customerId: 'cus_bad',
        subscriptionId: 'sub_bad',
        itemId: 'si_bad',
        planId: 'plus',
        interval: 'month',
        // Not an integer: stripe-mock rejects it like Stripe would.
        prorationDate: Number.NaN,
      })
      .catch((err: unknown) => err);
    expect(previewFailure).toBeInstanceOf(ApplicationFailure);
    expect(previewFailure).toMatchObject({ type: 'payment_provider_error', nonRetryable: true });
    expect(recorder.requests.at(-1)).toMatchObject({ path: '/v1/invoices/create_preview', status: 400 });

    const applyFailure = await activities
      .applyPlanChange({
        subscriptionId: 'sub_bad',
        itemId: 'si_bad',
        planId: 'plus',
        interval: 'month',
        timing: 'immediate',
        prorationDate: Number.NaN,
        workspaceId: 'ws_bad',
        idempotencyKey: 'k-bad',
      })
      .catch((err: unknown) => err);
    expect(applyFailure).toBeInstanceOf(ApplicationFailure);
    expect(applyFailure).toMatchObject({ type: 'payment_provider_error', nonRetryable: true });
    expect(recorder.requests.at(-1)).toMatchObject({ path: '/v1/subscriptions/sub_bad', status: 400, idempotencyKey: 'k-bad' });
  });
});

describe('price lookup', () => {
  test('a price is looked up once per lookup key and reused until the cache entry expires', async () => {
    let now = 1_000_000;
    const prices = createPriceLookup(stripe, { ttlMs: 60_000, now: () => now });
    const lookups = () => recorder.requests.filter((r) => r.path === '/v1/prices').map((r) => r.form['lookup_keys[0]']);

    const first = await prices.priceIdFor('plus', 'month');
    expect(first).toMatch(/^price_/);
    await expect(prices.priceIdFor('plus', 'month')).resolves.toBe(first);
    await prices.priceIdFor('plus', 'year');
    expect(lookups()).toEqual(['plus_month', 'plus_year']);

    now += 60_000;
    await prices.priceIdFor('plus', 'month');
    expect(lookups()).toEqual(['plus_month', 'plus_year', 'plus_month']);
  });

  test('concurrent lookups of one key share a single request', async () => {
    const prices = createPriceLookup(stripe);
    const ids = await Promise.all([prices.priceIdFor('business', 'year'), prices.priceIdFor('business', 'year')]);
    expect(ids[0]).toBe(ids[1]);
    expect(recorder.requests.filter((r) => r.path === '/v1/prices')).toHaveLength(1);
  });

  test('no active price for the lookup key is a non-retryable price_not_configured failure, not cached', async () => {
    const empty = Object.create(stripe.prices) as Stripe['prices'];
    empty.list = (async (...args: Parameters<Stripe['prices']['list']>) => ({
      ...(await stripe.prices.list(...args)),
      data: [],
    })) as unknown as Stripe['prices']['list'];
    const prices = createPriceLookup(Object.assign(Object.create(stripe) as Stripe, { prices: empty }));

    for (let attempt = 0; attempt < 2; attempt++) {
      const failure = await prices.priceIdFor('family', 'year').catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'price_not_configured', nonRetryable: true });
    }
    expect(recorder.requests.filter((r) => r.path === '/v1/prices' && r.status === 200)).toHaveLength(2);
  });
});
