// The Temporal list queries operators use (Web UI search box, `temporal
// workflow list --query`, `npm run ops -- list <name>`), built from our
// search attributes. Tested against the dev server
// (test/e2e/operator-visibility.test.ts) and listed in the README.

const WORKSPACES = `WorkflowType = 'workspaceWorkflow' AND ExecutionStatus = 'Running'`;

/** Guest checkouts still held by their workflow (open, paid and unclaimed, or within retention). */
export const GUEST_CHECKOUTS_QUERY = `WorkflowType = 'guestCheckoutWorkflow' AND ExecutionStatus = 'Running'`;

export const OPERATOR_QUERY_NAMES = ['enforced-recovery', 'grace-ending-24h', 'billing-recovery', 'past-due', 'checkout-pending'] as const;
export type OperatorQueryName = (typeof OPERATOR_QUERY_NAMES)[number];

/** The named queries at `nowMs` (grace-ending-24h is relative to it). */
export function operatorQueries(nowMs: number): Record<OperatorQueryName, string> {
  const now = new Date(nowMs).toISOString();
  const in24h = new Date(nowMs + 86_400_000).toISOString();
  return {
    'enforced-recovery': `${WORKSPACES} AND BillingMode = 'enforced_recovery'`,
    'grace-ending-24h': `${WORKSPACES} AND BillingStatus = 'past_due' AND BillingMode != 'enforced_recovery' AND GraceEndsAt BETWEEN '${now}' AND '${in24h}'`,
    'billing-recovery': `${WORKSPACES} AND BillingMode = 'billing_recovery'`,
    'past-due': `${WORKSPACES} AND BillingStatus = 'past_due'`,
    'checkout-pending': `${WORKSPACES} AND BillingMode = 'checkout_pending'`,
  };
}

/** A named query, or the text itself as a raw list query. */
export function resolveOperatorQuery(nameOrQuery: string, nowMs: number): string {
  const named = operatorQueries(nowMs) as Record<string, string>;
  return named[nameOrQuery] ?? nameOrQuery;
}
