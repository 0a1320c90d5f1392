// Records workflow histories for the replay test. Run after a deliberate,
// replay-compatible change only, when a new path should be covered:
//   npx tsx test/replay/record-histories.ts [--suffix v2]
// It drives workflows on the time-skipping server with the fake activities
// and writes test/replay/histories/<name>.binpb for the scenarios in the
// final loop. A history already saved is never overwritten: saved histories
// stand for workflows started by older code, which must keep replaying.
// Record new ones with the code *before* a workflow change, in a commit of
// their own (test/replay/history-discipline.test.ts checks it). Never
// re-record to make a failing replay pass: that failure means the change
// breaks running workflows.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { factFromEvent, stripeEventEnvelope } from '../../src/domain/stripe-events';
import { WorkspaceClient } from '../../src/temporal/workspace-client';
import { workflowIdFor } from '../../workflows/definitions';
import { walletWorkflowIdFor } from '../../workflows/wallet-definitions';
import { monthKey } from '../../src/domain/spend-rules';
import { fakeActivities, TEST_SETTINGS } from '../support/fake-activities';
import { checkoutFixture, checkoutSession, invoice, stripeEvent, subscription } from '../support/stripe-events';
import { timeSkippingEnv, workflowBundle } from '../support/temporal';

const request = { planId: 'plus' as const, interval: 'month' as const, successUrl: 'https://a.example/ok', cancelUrl: 'https://a.example/no' };

// `--suffix v2` saves `<name>-v2.binpb`: a new generation of histories from
// the current code, beside the older ones (which stay as they are).
const suffixAt = process.argv.indexOf('--suffix');
const suffix = suffixAt > 0 && process.argv[suffixAt + 1] ? `-${process.argv[suffixAt + 1]}` : '';

async function main() {
  const env = await timeSkippingEnv();
  const taskQueue = 'record-histories';
  const fake = fakeActivities();
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: fake.activities });
  const workspaces = new WorkspaceClient(env.client, taskQueue);
  fake.world.workspaces = workspaces;
  const fact = (type: string, object: Record<string, unknown>) => factFromEvent(stripeEventEnvelope.parse(stripeEvent(type, object)))!;
  const out = path.join(__dirname, 'histories');

  try {
    await worker.runUntil(async () => {
      const completed = { ...checkoutFixture('plus', 'month'), workspaceId: 'replay-completed' };
      const opened = await workspaces.startCheckout(completed.workspaceId, request);
      completed.checkoutId = opened.checkoutId;
      await workspaces.deliverFact(completed.workspaceId, fact('checkout.session.completed', checkoutSession(completed)));
      await workspaces.deliverFact(completed.workspaceId, fact('customer.subscription.created', subscription(completed)));
      await env.sleep(TEST_SETTINGS.checkoutTtlMs + 60_000);

      const expired = 'replay-expired';
      await workspaces.startCheckout(expired, request);
      await env.sleep(TEST_SETTINGS.checkoutTtlMs + 60_000);

      // Dunning: failure, reminders, expiry, payment.
      const dunning = { ...checkoutFixture('plus', 'month'), workspaceId: 'replay-dunning' };
      const failing = invoice(dunning, { id: 'in_replay', status: 'open' });
      await workspaces.deliverFact(dunning.workspaceId, fact('customer.subscription.created', subscription(dunning)));
      await workspaces.deliverFact(dunning.workspaceId, fact('invoice.payment_failed', failing));
      await env.sleep(TEST_SETTINGS.gracePeriodMs + 60_000);
      await workspaces.deliverFact(dunning.workspaceId, fact('invoice.paid', invoice(dunning, { id: 'in_replay', status: 'paid' })));

      // Plan changes: preview, upgrade now, schedule a downgrade, cancel it, schedule again and let it apply.
      const changing = { ...checkoutFixture('plus', 'month'), workspaceId: 'replay-plan-changes' };
      await workspaces.deliverFact(changing.workspaceId, fact('customer.subscription.created', subscription(changing)));
      const preview = await workspaces.previewPlanChange(changing.workspaceId, { targetPlanId: 'business', interval: 'month' });
      await workspaces.applyPlanChange(changing.workspaceId, { targetPlanId: 'business', interval: 'month', prorationDate: preview.prorationDate! });
      await workspaces.applyPlanChange(changing.workspaceId, { targetPlanId: 'plus', interval: 'year', timing: 'period_end' });
      await workspaces.cancelPendingChange(changing.workspaceId);
      await workspaces.applyPlanChange(changing.workspaceId, { targetPlanId: 'family', interval: 'month', timing: 'period_end' });
      await env.sleep(31 * 86_400_000);

      // Wallet: spend controls, usage over the cap, a top-up, the month boundary.
      const walletWorkspace = 'replay-wallet';
      fake.world.planOf.set(walletWorkspace, 'business');
      await workspaces.setSpendControls(walletWorkspace, { monthlyCapCents: 1000, alertThresholdsPercent: [50], action: 'block' });
      fake.world.spendOf.set(`${walletWorkspace}|${monthKey(Number(await env.currentTimeMs()))}`, 1500);
      await workspaces.usageRecorded(walletWorkspace);
      await workspaces.deliverFact(walletWorkspace, { kind: 'top_up_paid', eventId: 'evt_top_up', occurredAt: 0, topUpId: 'tu_replay_1', amountCents: 5000, currency: 'usd' });
      await env.sleep(32 * 86_400_000);

      // Operator actions: extend the window, let it expire, reopen it, forgive it; cancel a scheduled change; resync.
      const operated = { ...checkoutFixture('plus', 'month'), workspaceId: 'replay-operator' };
      const why = (requestId: string) => ({ reason: 'replay scenario', requestId, actor: 'replay' });
      await workspaces.deliverFact(operated.workspaceId, fact('customer.subscription.created', subscription(operated)));
      await workspaces.applyPlanChange(operated.workspaceId, { targetPlanId: 'essential', interval: 'month' });
      await workspaces.cancelScheduledChange(operated.workspaceId, why('op-4'));
      await workspaces.deliverFact(operated.workspaceId, fact('invoice.payment_failed', invoice(operated, { id: 'in_operated', status: 'open' })));
      await env.sleep(86_400_000);
      await workspaces.extendGrace(operated.workspaceId, { ...why('op-1'), byMs: 86_400_000 });
      await env.sleep(TEST_SETTINGS.gracePeriodMs + 60_000);
      await workspaces.extendGrace(operated.workspaceId, { ...why('op-2'), byMs: 2 * 86_400_000 });
      await workspaces.endGrace(operated.workspaceId, why('op-3'));
      await workspaces.resyncFromStripe(operated.workspaceId, why('op-5'));

      // Guest checkout: opened, paid, claimed into a workspace, a renewal forwarded, retention over.
      const guestId = 'gco_00000000000000000000000000replay';
      await workspaces.startGuestCheckout(guestId, { ...request, email: 'guest@example.com' });
      const guest = { ...checkoutFixture('plus', 'month'), workspaceId: 'replay-guest-claim', checkoutId: `cs_guest_${guestId}`, customerId: `cus_guest_${guestId}` };
      const guestMeta = { guestCheckoutId: guestId, planId: 'plus', interval: 'month' };
      await workspaces.deliverGuestFact(guestId, fact('customer.subscription.created', { ...subscription(guest), metadata: guestMeta }));
      await workspaces.deliverGuestFact(guestId, fact('checkout.session.completed', checkoutSession(guest, { metadata: guestMeta })));
      await workspaces.claimGuestCheckout(guestId, { workspaceId: guest.workspaceId, verifiedEmail: 'guest@example.com' });
      await workspaces.deliverGuestFact(guestId, fact('invoice.paid', invoice(guest, { status: 'paid' })));
      await env.sleep(8 * 86_400_000);

      // Wallet top-ups (two checkouts) and Enterprise controls: a sales lead, invoicing by invoice.
      const topping = { ...checkoutFixture('plus', 'month'), workspaceId: 'replay-top-ups' };
      await workspaces.deliverFact(topping.workspaceId, fact('customer.subscription.created', subscription(topping)));
      const topUp = { amountCents: 2500, successUrl: 'https://a.example/ok', cancelUrl: 'https://a.example/no' };
      await workspaces.startTopUp(topping.workspaceId, topUp);
      await workspaces.startTopUp(topping.workspaceId, { ...topUp, amountCents: 5000 });
      const enterprise = { ...checkoutFixture('enterprise', 'year'), workspaceId: 'replay-enterprise' };
      await workspaces.deliverFact(enterprise.workspaceId, fact('customer.subscription.created', subscription(enterprise)));
      await workspaces.startCheckout(enterprise.workspaceId, { ...request, planId: 'enterprise' }).catch(() => undefined);
      await workspaces.setInvoicingControls(enterprise.workspaceId, { collectionMethod: 'send_invoice', daysUntilDue: 30 });
      await env.sleep(TEST_SETTINGS.checkoutTtlMs + 60_000);

      const recorded = [
        { name: completed.workspaceId, workflowId: workflowIdFor(completed.workspaceId) },
        { name: expired, workflowId: workflowIdFor(expired) },
        { name: topping.workspaceId, workflowId: workflowIdFor(topping.workspaceId) },
        { name: enterprise.workspaceId, workflowId: workflowIdFor(enterprise.workspaceId) },
        { name: 'replay-guest-checkout', workflowId: `guest-checkout/${guestId}` },
        { name: guest.workspaceId, workflowId: workflowIdFor(guest.workspaceId) },
        { name: operated.workspaceId, workflowId: workflowIdFor(operated.workspaceId) },
        { name: dunning.workspaceId, workflowId: workflowIdFor(dunning.workspaceId) },
        { name: changing.workspaceId, workflowId: workflowIdFor(changing.workspaceId) },
        { name: walletWorkspace, workflowId: walletWorkflowIdFor(walletWorkspace) },
      ];
      for (const { name: workspaceId, workflowId } of recorded) {
        const file = path.join(out, `${workspaceId}${suffix}.binpb`);
        if (existsSync(file)) {
          console.log(`kept ${workspaceId} (already saved)`);
          continue;
        }
        const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
        // Binary protobuf: exact, and independent of the JSON mapping of proto enums.
        writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
        console.log(`recorded ${workspaceId} (${history.events?.length} events)`);
      }
    });
  } finally {
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
