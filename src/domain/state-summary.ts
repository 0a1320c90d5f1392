// A short human summary of a workspace's billing state: what the Temporal
// Web UI shows for the workflow (current details), what operator
// actions return and what the ops CLI prints. Pure.
import type { z } from 'zod';
import type { WorkspaceState } from './billing-state';
import type { stateSummarySchema } from './response-schemas';
import { PLANS } from './plans';
import { toProjection } from './projection';

export type StateSummary = z.infer<typeof stateSummarySchema>;

/** ISO time to the minute ("2026-12-04T10:00Z"): enough for a summary line. */
export const minuteIso = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';

export function summarizeState(state: WorkspaceState): StateSummary {
  const p = toProjection(state);
  const parts = [`${PLANS[p.planId].name}${p.interval ? ` (${p.interval})` : ''}`, p.status, p.mode];
  if (p.grace) parts.push(p.grace.expired ? `grace ended ${minuteIso(p.grace.endsAt)}` : `grace ends ${minuteIso(p.grace.endsAt)}`);
  if (p.unpaidInvoice) parts.push(`unpaid ${p.unpaidInvoice.id}`);
  if (p.pendingChange) parts.push(`→ ${p.pendingChange.targetPlanId} at ${p.pendingChange.effectiveAt.slice(0, 10)}`);
  return {
    workspaceId: p.workspaceId,
    planId: p.planId,
    interval: p.interval,
    status: p.status,
    mode: p.mode,
    grace: p.grace ? { startedAt: new Date(p.grace.startedAt).toISOString(), endsAt: new Date(p.grace.endsAt).toISOString(), expired: p.grace.expired } : null,
    unpaidInvoice: p.unpaidInvoice ? { id: p.unpaidInvoice.id, amountDueCents: p.unpaidInvoice.amountDueCents, currency: p.unpaidInvoice.currency } : null,
    pendingChange: p.pendingChange,
    subscriptionId: p.stripeSubscriptionId,
    text: parts.join(' · '),
  };
}
