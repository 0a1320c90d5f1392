// What changed between two billing projections the workspace workflow wrote
// (the saveBillingProjection activity's input): the decisions a support
// person asks about — grace opened (with its end), moved, expired into the
// hard block, closed; billing restored; plan and status changes; the unpaid
// invoice shown for recovery; checkouts and scheduled changes.
import type { BillingMode } from '../billing-state';
import type { BillingProjection } from '../projection';
import { iso, money, planLabel } from './explain';

export interface ProjectionChange {
  kind: string;
  summary: string;
}

const RECOVERY: readonly BillingMode[] = ['billing_recovery', 'enforced_recovery'];

export function projectionChanges(before: BillingProjection, after: BillingProjection): ProjectionChange[] {
  const changes: ProjectionChange[] = [];
  const add = (kind: string, summary: string) => changes.push({ kind, summary });

  if (before.planId !== after.planId || before.interval !== after.interval) {
    add('plan.changed', `Plan is now ${planLabel(after.planId, after.interval)} (was ${planLabel(before.planId, before.interval)})`);
  }
  if (before.status !== after.status) add('billing.status', `Billing status is now ${after.status} (was ${before.status})`);

  const unpaid = after.unpaidInvoice;
  if (unpaid && unpaid.id !== before.unpaidInvoice?.id) {
    add('invoice.unpaid', `Invoice ${unpaid.id} is unpaid: ${money(unpaid.amountDueCents, unpaid.currency)}, to be paid at ${unpaid.hostedInvoiceUrl}`);
  } else if (!unpaid && before.unpaidInvoice) {
    add('invoice.settled', `Invoice ${before.unpaidInvoice.id} is no longer unpaid`);
  }

  const [was, now] = [before.grace, after.grace];
  let modeExplained = false;
  if (now && (!was || was.startedAt !== now.startedAt)) {
    const invoice = unpaid ? ` unless invoice ${unpaid.id} is paid` : ' unless the payment is made';
    add('grace.opened', `Grace window opened: production stays allowed until ${iso(now.endsAt)}, then it is blocked${invoice}`);
    modeExplained = true;
  } else if (now && was && now.endsAt !== was.endsAt) {
    add('grace.moved', `Grace window now ends ${iso(now.endsAt)} (was ${iso(was.endsAt)})${was.expired && !now.expired ? '; production unblocked meanwhile' : ''}`);
    modeExplained = was.expired !== now.expired;
  }
  if (now?.expired && !(was?.expired && was.startedAt === now.startedAt)) {
    add('grace.expired', `Grace window ended at ${iso(now.endsAt)} unpaid: production traffic is hard-blocked (enforced recovery) until the payment is made`);
    modeExplained = true;
  }
  if (was && !now) {
    add('grace.closed', `Grace window closed (it was to end ${iso(was.endsAt)}${was.expired ? ', and had expired' : ''})`);
  }

  if (before.mode !== after.mode && !modeExplained) {
    if (RECOVERY.includes(before.mode) && !RECOVERY.includes(after.mode)) {
      add('billing.restored', `Billing restored: mode ${after.mode} (was ${before.mode}); recovery no longer blocks changes or production`);
    } else {
      add('billing.mode', `Billing mode is now ${after.mode} (was ${before.mode})`);
    }
  }

  if (before.checkout && before.checkout.id !== after.checkout?.id) {
    add('checkout.closed', `Checkout ${before.checkout.id} is no longer open (completed, expired or replaced)`);
  }
  const pending = after.pendingChange;
  if (pending && (pending.targetPlanId !== before.pendingChange?.targetPlanId || pending.effectiveAt !== before.pendingChange?.effectiveAt)) {
    add('plan_change.scheduled', `Change to ${planLabel(pending.targetPlanId, pending.targetPlanId === 'essential' ? null : pending.interval)} scheduled for ${pending.effectiveAt}`);
  } else if (!pending && before.pendingChange) {
    add('plan_change.cleared', `Scheduled change to ${before.pendingChange.targetPlanId} is no longer pending (applied, cancelled or superseded)`);
  }
  return changes;
}
