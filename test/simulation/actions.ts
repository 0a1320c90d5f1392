// What happens to a simulated workspace: the app's requests, the customer's
// doings at Stripe, operators' actions, and the faults the engine must
// survive. A workspace's life is a list of steps (day, action); a random
// customer (policy.ts) chooses them, and a recorded list replays exactly
// (shrinking a failure replays shorter lists).
import type { Interval, PlanId } from '../../src/domain/plans';

export type SelfServePlan = Extract<PlanId, 'plus' | 'family' | 'business'>;

export type Action =
  /** The app starts a hosted checkout (with an Idempotency-Key; `retries` sends the same request again). */
  | { kind: 'checkout'; plan: SelfServePlan; interval: Interval; retries: number }
  /** The customer completes the open checkout: paid, or unpaid (the card fails; the subscription is incomplete). */
  | { kind: 'payCheckout'; outcome: 'paid' | 'unpaid' }
  /** A visitor buys as a guest with an email. */
  | { kind: 'guestCheckout'; plan: SelfServePlan; interval: Interval }
  | { kind: 'payGuest' }
  /** The app claims the guest purchase into the workspace after verified sign-in. */
  | { kind: 'claimGuest' }
  /** Sales sets up an Enterprise subscription. */
  | { kind: 'enterprise' }
  /** Operators set the Enterprise contract's unit prices. */
  | { kind: 'contractPrices' }
  | { kind: 'planChange'; plan: SelfServePlan; interval: Interval; timing: 'auto' | 'immediate' | 'period_end'; preview: boolean; retries: number }
  /** A change to Essential: cancel at the period end. */
  | { kind: 'cancel' }
  | { kind: 'revokeChange' }
  | { kind: 'cardFails' }
  | { kind: 'cardFixed' }
  | { kind: 'topUp'; amountCents: number; pay: boolean; retries: number }
  | { kind: 'usage'; batches: number; size: number; resend: boolean }
  | { kind: 'spendControls'; capCents: number; action: 'alert' | 'block' }
  | { kind: 'extendGrace'; days: number }
  | { kind: 'endGrace' }
  | { kind: 'grant'; amountCents: number }
  /** An operator terminates a workflow; the next message starts it afresh. */
  | { kind: 'terminate'; which: 'workspace' | 'wallet' }
  /**
   * A planted bug, for the simulator's own tests (random customers never do
   * it): 1 USD credited to the wallet as a grant no operator made.
   */
  | { kind: 'fault'; what: 'stray_grant' }
  /** The worker restarts or a new version deploys: the workspace's workflows replay from their histories. */
  | { kind: 'restartWorker' };

export interface Step {
  day: number;
  action: Action;
}

export function describeStep(step: Step): string {
  const { kind, ...rest } = step.action;
  const args = Object.entries(rest)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `day ${String(step.day).padStart(4)}  ${kind}${args ? ` ${args}` : ''}`;
}
