// Guest checkout and claim on the time-skipping server: the guest-checkout
// workflow with fake Stripe activities, attaching through the real
// WorkspaceClient to the real workspace workflow. Every claim path,
// including a payment that lands while the claim is in flight.
import type { CheckoutCompletedFact } from '../../src/domain/billing-facts';
import { billingStatus, currentPlan } from '../../src/domain/billing-state';
import type { GuestCheckoutRequest } from '../../src/domain/guest-checkout';
import { guestStatus, GUEST_CHECKOUT_RETENTION_MS } from '../../src/domain/guest-checkout';
import { newGuestCheckoutId } from '../../src/api/routes/guest-checkout';
import { uniqueId } from '../support/db';
import { eventually, TEST_SETTINGS } from '../support/fake-activities';
import { invoiceChanged, subscriptionChanged } from '../support/facts';
import { rejection, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';
import { GUEST_CHECKOUT_WORKFLOW_TYPE, guestWorkflowIdFor, type GuestCheckoutWorkflowInput } from '../../workflows/guest-definitions';
import type { guestCheckoutWorkflow } from '../../workflows/guest-checkout-workflow';

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness('guest-checkout-test');
}, 120_000);
afterAll(() => h?.close());

const DAY = 86_400_000;

function guestRequest(overrides: Partial<GuestCheckoutRequest> = {}): GuestCheckoutRequest {
  return {
    email: `${uniqueId('guest')}@example.com`,
    planId: 'plus',
    interval: 'month',
    successUrl: 'https://app.example.com/welcome',
    cancelUrl: 'https://app.example.com/pricing',
    ...overrides,
  };
}

/** A guest checkout opened through the client, with the ids the fake Stripe gave it. */
async function openGuest(overrides: Partial<GuestCheckoutRequest> = {}) {
  const checkoutId = newGuestCheckoutId();
  const request = guestRequest(overrides);
  const link = await h.workspaces.startGuestCheckout(checkoutId, request);
  return { checkoutId, request, link, customerId: `cus_guest_${checkoutId}`, sessionId: `cs_guest_${checkoutId}`, subscriptionId: uniqueId('sub_guest') };
}

type Guest = Awaited<ReturnType<typeof openGuest>>;

async function paymentFacts(g: Guest) {
  const now = await h.serverNow();
  const completed: CheckoutCompletedFact = {
    kind: 'checkout_completed',
    eventId: uniqueId('evt'),
    occurredAt: now,
    checkoutId: g.sessionId,
    customerId: g.customerId,
    subscriptionId: g.subscriptionId,
    planId: 'plus',
    interval: 'month',
    paid: true,
  };
  const created = subscriptionChanged({ subscriptionId: g.subscriptionId, customerId: g.customerId, occurredAt: now - 1000 });
  const paid = invoiceChanged({ subscriptionId: g.subscriptionId, invoiceId: uniqueId('in'), occurredAt: now, status: 'paid' });
  return { completed, created, paid };
}

const guestState = (checkoutId: string) => h.workspaces.guestState(checkoutId);
const claim = (g: Guest, workspaceId: string, verifiedEmail = g.request.email) => h.workspaces.claimGuestCheckout(g.checkoutId, { workspaceId, verifiedEmail });

test('a guest checkout creates a customer with the email and a session tagged with the guest checkout id; repeating the start returns it', async () => {
  const g = await openGuest({ planId: 'business', interval: 'year' });
  expect(g.link).toMatchObject({ checkoutId: g.checkoutId, url: `https://checkout.stripe.test/g/${g.checkoutId}` });
  expect(await h.workspaces.startGuestCheckout(g.checkoutId, g.request)).toEqual(g.link);

  expect(h.fake.calls.guestCustomers.filter((c) => c.guestCheckoutId === g.checkoutId)).toEqual([
    { guestCheckoutId: g.checkoutId, email: g.request.email, idempotencyKey: `guest-checkout/${g.checkoutId}:customer` },
  ]);
  const sessions = h.fake.calls.guestSessions.filter((s) => s.guestCheckoutId === g.checkoutId);
  expect(sessions).toHaveLength(1);
  expect(sessions[0]).toMatchObject({ customerId: g.customerId, planId: 'business', interval: 'year', idempotencyKey: `guest-checkout/${g.checkoutId}:session` });
  const state = await guestState(g.checkoutId);
  expect(guestStatus(state)).toBe('open');
  const view = h.fake.calls.guestViews.filter((v) => v.checkoutId === g.checkoutId).at(-1);
  expect(view).toMatchObject({ status: 'open', email: g.request.email, stripeCustomerId: g.customerId, stripeCheckoutSessionId: g.sessionId, claimedWorkspaceId: null });
});

test('Enterprise is refused as sales-assisted and recorded as a guest-checkout sales lead; Essential is not purchasable', async () => {
  const checkoutId = newGuestCheckoutId();
  const request = guestRequest({ planId: 'enterprise' });
  const refused = await rejection(h.workspaces.startGuestCheckout(checkoutId, request));
  expect(refused.code).toBe('sales_assisted');
  expect(h.fake.calls.salesLeads.filter((l) => l.requestId === `guest-checkout/${checkoutId}:lead`)).toEqual([
    { requestId: `guest-checkout/${checkoutId}:lead`, workspaceId: null, email: request.email, planId: 'enterprise', interval: 'month', source: 'guest_checkout' },
  ]);
  expect(h.fake.calls.guestCustomers.some((c) => c.guestCheckoutId === checkoutId)).toBe(false);
  // A refused guest checkout holds nothing: its workflow ends.
  await h.env.client.workflow.getHandle(`guest-checkout/${checkoutId}`).result();

  const essential = await rejection(h.workspaces.startGuestCheckout(newGuestCheckoutId(), guestRequest({ planId: 'essential' })));
  expect(essential.code).toBe('not_purchasable');
});

test('paid before the claim: the workspace takes over the customer, the subscription and the paid invoice; Stripe metadata is tagged', async () => {
  const g = await openGuest();
  const { completed, created, paid } = await paymentFacts(g);
  for (const f of [created, completed, paid]) expect(await h.workspaces.deliverGuestFact(g.checkoutId, f)).toBe(true);
  await eventually(() => guestState(g.checkoutId), (s) => guestStatus(s) === 'paid');

  const workspaceId = uniqueId('ws');
  const result = await claim(g, workspaceId, g.request.email.toUpperCase());
  expect(result).toMatchObject({ checkoutId: g.checkoutId, workspaceId, status: 'active', plan: { id: 'plus', interval: 'month' }, stripe: { customerId: g.customerId, subscriptionId: g.subscriptionId } });

  const ws = await h.stateOf(workspaceId);
  expect(billingStatus(ws)).toBe('active');
  expect(currentPlan(ws)).toEqual({ id: 'plus', interval: 'month' });
  expect(ws.customerId).toBe(g.customerId);
  expect(ws.invoices.map((i) => [i.id, i.status])).toEqual([[paid.invoiceId, 'paid']]);
  expect(guestStatus(await guestState(g.checkoutId))).toBe('claimed');
  await eventually(async () => h.fake.calls.tags.filter((t) => t.workspaceId === workspaceId), (t) => t.length === 1);
  expect(h.fake.calls.tags.find((t) => t.workspaceId === workspaceId)).toMatchObject({ customerId: g.customerId, subscriptionId: g.subscriptionId });
  const view = await eventually(async () => h.fake.calls.guestViews.filter((v) => v.checkoutId === g.checkoutId).at(-1), (v) => v?.status === 'claimed');
  expect(view).toMatchObject({ claimedWorkspaceId: workspaceId, paidAt: expect.any(Number) });

  // The same workspace claiming again gets the same answer; nothing is attached twice.
  expect(await claim(g, workspaceId)).toEqual(result);
  expect(h.fake.calls.attaches.filter((a) => a.attachment.guestCheckoutId === g.checkoutId)).toHaveLength(1);
});

test('claimed before paying: the open session becomes the workspace\'s checkout and the later payment, forwarded by the guest workflow, activates it once', async () => {
  const g = await openGuest({ planId: 'family' });
  const workspaceId = uniqueId('ws');
  const result = await claim(g, workspaceId);
  expect(result).toMatchObject({ status: 'incomplete', plan: { id: 'essential' }, stripe: { customerId: g.customerId, subscriptionId: null } });
  const before = await h.stateOf(workspaceId);
  expect(before.checkout?.id).toBe(g.sessionId);

  const { completed, created, paid } = await paymentFacts(g);
  // A webhook that still routed by the guest's metadata reaches the guest workflow, which forwards it ...
  for (const f of [created, completed]) await h.workspaces.deliverGuestFact(g.checkoutId, f);
  // ... and a redelivery routed straight to the workspace changes nothing more.
  await h.workspaces.deliverFact(workspaceId, completed);
  await h.workspaces.deliverFact(workspaceId, paid);
  const after = await eventually(() => h.stateOf(workspaceId), (s) => billingStatus(s) === 'active' && s.invoices.length === 1);
  expect(after.checkout).toBeNull();
  expect(after.subscription?.id).toBe(g.subscriptionId);
  expect(after.recentEventIds.filter((id) => id === completed.eventId)).toHaveLength(1);
  // The subscription that appeared after the claim gets the workspace id in its metadata too.
  await eventually(async () => h.fake.calls.tags.filter((t) => t.workspaceId === workspaceId).map((t) => t.subscriptionId), (ids) => ids.includes(g.subscriptionId));
});

test('a payment that lands while the claim is in flight is neither lost nor applied twice', async () => {
  const g = await openGuest();
  const workspaceId = uniqueId('ws');
  let release!: () => void;
  h.fake.world.attachGate = new Promise<void>((resolve) => (release = resolve));
  try {
    const claiming = claim(g, workspaceId);
    await eventually(async () => h.fake.calls.attaches.filter((a) => a.attachment.guestCheckoutId === g.checkoutId), (a) => a.length === 1);
    // The claim's snapshot holds no payment; the payment arrives now, at the guest workflow.
    const { completed, created, paid } = await paymentFacts(g);
    for (const f of [created, completed, paid]) expect(await h.workspaces.deliverGuestFact(g.checkoutId, f)).toBe(true);
    // Stripe redelivers one of them, and this time the webhook routes to the workspace.
    await h.workspaces.deliverFact(workspaceId, paid);
    // Another workspace cannot claim meanwhile.
    expect((await rejection(claim(g, uniqueId('ws')))).code).toBe('claim_in_progress');
    release();
    const result = await claiming;
    expect(h.fake.calls.attaches.find((a) => a.attachment.guestCheckoutId === g.checkoutId)?.attachment.facts).toEqual([]);
    expect(result.workspaceId).toBe(workspaceId);

    const ws = await eventually(() => h.stateOf(workspaceId), (s) => billingStatus(s) === 'active' && s.invoices.length === 1);
    expect(ws.subscription?.id).toBe(g.subscriptionId);
    expect(ws.invoices).toHaveLength(1);
    for (const f of [created, completed, paid]) expect(ws.recentEventIds.filter((id) => id === f.eventId)).toHaveLength(1);
  } finally {
    h.fake.world.attachGate = undefined;
    release?.();
  }
});

test('refusals: email mismatch, claimed by another workspace, unknown checkout', async () => {
  const g = await openGuest();
  const mismatch = await rejection(claim(g, uniqueId('ws'), 'someone.else@example.com'));
  expect(mismatch.code).toBe('email_mismatch');

  const owner = uniqueId('ws');
  await claim(g, owner);
  const other = await rejection(claim(g, uniqueId('ws')));
  expect(other.code).toBe('already_claimed');
  // The email is checked first: a stranger does not learn that it was claimed.
  expect((await rejection(claim(g, uniqueId('ws'), 'stranger@example.com'))).code).toBe('email_mismatch');

  expect((await rejection(h.workspaces.claimGuestCheckout(newGuestCheckoutId(), { workspaceId: owner, verifiedEmail: g.request.email }))).code).toBe('guest_checkout_not_found');
});

test('a workspace that already pays for a subscription refuses the claim, naming both subscriptions; nothing changes on either side', async () => {
  const workspaceId = uniqueId('ws');
  const ownSub = uniqueId('sub_own');
  await h.workspaces.deliverFact(workspaceId, subscriptionChanged({ subscriptionId: ownSub, customerId: 'cus_own', occurredAt: await h.serverNow() }));
  const before = await eventually(() => h.stateOf(workspaceId), (s) => billingStatus(s) === 'active');

  const g = await openGuest();
  const { completed, created } = await paymentFacts(g);
  for (const f of [created, completed]) await h.workspaces.deliverGuestFact(g.checkoutId, f);
  await eventually(() => guestState(g.checkoutId), (s) => guestStatus(s) === 'paid');

  const refused = await rejection(claim(g, workspaceId));
  expect(refused.code).toBe('workspace_already_subscribed');
  expect(refused.details).toMatchObject({ workspaceSubscriptionId: ownSub, guestSubscriptionId: g.subscriptionId });
  expect(refused.message).toContain(ownSub);
  expect(refused.message).toContain(g.subscriptionId);

  const after = await h.stateOf(workspaceId);
  expect(after).toEqual(before);
  const guest = await guestState(g.checkoutId);
  expect(guestStatus(guest)).toBe('paid');
  expect(guest.claiming).toBeNull();
  // Still claimable by a workspace without a subscription.
  expect((await claim(g, uniqueId('ws'))).status).toBe('active');
});

test("a workspace's own open checkout is expired at Stripe before the guest's purchase is attached; if it was paid meanwhile the claim is refused", async () => {
  const workspaceId = uniqueId('ws');
  const own = await h.workspaces.startCheckout(workspaceId, { planId: 'plus', interval: 'month', successUrl: 'https://app.example.com/s', cancelUrl: 'https://app.example.com/c' });
  const g = await openGuest();
  const result = await claim(g, workspaceId);
  expect(result.status).toBe('incomplete');
  expect(h.fake.calls.expirations.filter((e) => e.checkoutId === own.checkoutId)).toEqual([
    { checkoutId: own.checkoutId, idempotencyKey: `workspace/${workspaceId}:claim:${g.checkoutId}:expire` },
  ]);
  const ws = await h.stateOf(workspaceId);
  expect(ws.checkout?.id).toBe(g.sessionId);
  expect(ws.closedCheckoutIds).toContain(own.checkoutId);

  const paidMeanwhile = uniqueId('ws');
  const second = await h.workspaces.startCheckout(paidMeanwhile, { planId: 'plus', interval: 'month', successUrl: 'https://app.example.com/s', cancelUrl: 'https://app.example.com/c' });
  h.fake.world.sessionStatusOf.set(second.checkoutId, 'complete');
  const g2 = await openGuest();
  const refused = await rejection(claim(g2, paidMeanwhile));
  expect(refused.code).toBe('workspace_already_subscribed');
  expect((await h.stateOf(paidMeanwhile)).checkout?.id).toBe(second.checkoutId);
  expect((await guestState(g2.checkoutId)).claiming).toBeNull();
});

test('a paid guest checkout nobody claims is kept and flagged after the configured period; an unpaid one lapses and its workflow ends after the retention', async () => {
  const paidGuest = await openGuest();
  const { completed, created } = await paymentFacts(paidGuest);
  for (const f of [created, completed]) await h.workspaces.deliverGuestFact(paidGuest.checkoutId, f);
  await eventually(() => guestState(paidGuest.checkoutId), (s) => guestStatus(s) === 'paid');
  const unpaid = await openGuest();

  await h.env.sleep(TEST_SETTINGS.guestFlagAfterMs + DAY);

  const flagged = await guestState(paidGuest.checkoutId);
  expect(guestStatus(flagged)).toBe('paid');
  expect(flagged.flaggedAt).not.toBeNull();
  expect(flagged.flaggedAt! - flagged.paidAt!).toBeGreaterThanOrEqual(TEST_SETTINGS.guestFlagAfterMs);
  const view = await eventually(async () => h.fake.calls.guestViews.filter((v) => v.checkoutId === paidGuest.checkoutId).at(-1), (v) => v?.flaggedAt != null);
  expect(view?.status).toBe('paid');
  // Flagged, not dropped: it can still be claimed.
  expect((await claim(paidGuest, uniqueId('ws'))).stripe.subscriptionId).toBe(paidGuest.subscriptionId);

  // The unpaid one expired with its session (an hour) and ended 7 days later.
  expect(TEST_SETTINGS.guestFlagAfterMs).toBeGreaterThan(GUEST_CHECKOUT_RETENTION_MS + TEST_SETTINGS.checkoutTtlMs);
  await h.env.client.workflow.getHandle(`guest-checkout/${unpaid.checkoutId}`).result();
  const lapsed = h.fake.calls.guestViews.filter((v) => v.checkoutId === unpaid.checkoutId).at(-1);
  expect(lapsed?.status).toBe('expired');
  expect((await rejection(claim(unpaid, uniqueId('ws')))).code).toBe('guest_checkout_not_found');
});

test('an expired unpaid guest checkout has nothing to claim', async () => {
  const g = await openGuest();
  await h.workspaces.deliverGuestFact(g.checkoutId, { kind: 'checkout_expired', eventId: uniqueId('evt'), occurredAt: await h.serverNow(), checkoutId: g.sessionId });
  await eventually(() => guestState(g.checkoutId), (s) => guestStatus(s) === 'expired');
  const refused = await rejection(claim(g, uniqueId('ws')));
  expect(refused.code).toBe('nothing_to_claim');
});

test('a claim whose outcome is unknown answers temporal_unavailable, stays reserved for that workspace and completes in the background', async () => {
  const g = await openGuest();
  const workspaceId = uniqueId('ws');
  const attempts = () => h.fake.calls.attaches.filter((a) => a.workspaceId === workspaceId).length;
  h.fake.world.attachOutages = 1_000;
  try {
    const claiming = rejection(claim(g, workspaceId));
    await eventually(async () => attempts(), (n) => n >= 1);
    // Skip the server's clock through the handler's quick retries.
    await h.env.sleep(60_000);
    expect((await claiming).code).toBe('temporal_unavailable');
    expect(attempts()).toBeGreaterThanOrEqual(3);
    // Reserved meanwhile: another workspace cannot claim, and the workflow keeps trying in the background.
    expect((await guestState(g.checkoutId)).claiming).toBe(workspaceId);
    expect((await rejection(claim(g, uniqueId('ws')))).code).toBe('claim_in_progress');
    const before = attempts();
    await h.env.sleep(30 * 60_000);
    expect(attempts()).toBeGreaterThan(before);
  } finally {
    h.fake.world.attachOutages = 0;
  }
  await h.env.sleep(10 * 60_000);
  const settled = await eventually(() => guestState(g.checkoutId), (s) => guestStatus(s) === 'claimed', 20_000);
  expect(settled.claim).toMatchObject({ workspaceId, stripe: { customerId: g.customerId } });
  // Repeating the claim reads the result.
  expect(await claim(g, workspaceId)).toEqual(settled.claim);
  expect((await h.stateOf(workspaceId)).customerId).toBe(g.customerId);
});

test('with a lowered continue-as-new threshold the guest checkout continues as new, keeps its facts and answers every claim the same', async () => {
  const checkoutId = newGuestCheckoutId();
  const args: [GuestCheckoutWorkflowInput] = [{ checkoutId, continueAsNewAfterEvents: 30 }];
  const started = await h.env.client.workflow.start<typeof guestCheckoutWorkflow>(GUEST_CHECKOUT_WORKFLOW_TYPE, {
    workflowId: guestWorkflowIdFor(checkoutId),
    taskQueue: 'guest-checkout-test',
    args,
  });
  const request = guestRequest();
  await h.workspaces.startGuestCheckout(checkoutId, request);
  const g = { checkoutId, request, customerId: `cus_guest_${checkoutId}`, sessionId: `cs_guest_${checkoutId}`, subscriptionId: uniqueId('sub_guest') } as Guest;
  const { created, completed, paid } = await paymentFacts(g);
  const renewals = await Promise.all([1, 2, 3, 4].map(async () => invoiceChanged({ subscriptionId: g.subscriptionId, invoiceId: uniqueId('in'), occurredAt: await h.serverNow(), status: 'paid' })));
  for (const fact of [created, completed, paid, ...renewals]) await h.workspaces.deliverGuestFact(checkoutId, fact);
  await eventually(() => h.workspaces.guestState(checkoutId), (s) => s.facts.length === 7);

  const workspaceId = uniqueId('ws');
  const answers = await Promise.all([1, 2, 3].map(() => h.workspaces.claimGuestCheckout(checkoutId, { workspaceId, verifiedEmail: request.email })));
  expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
  expect(answers[0]).toMatchObject({ workspaceId, stripe: { subscriptionId: g.subscriptionId } });
  expect((await h.env.client.workflow.getHandle(guestWorkflowIdFor(checkoutId)).describe()).runId).not.toBe(started.firstExecutionRunId);
  // Every fact reached the workspace once.
  const workspace = await h.stateOf(workspaceId);
  for (const fact of [created, completed, paid, ...renewals]) expect(workspace.recentEventIds.filter((id) => id === fact.eventId)).toHaveLength(1);
});
