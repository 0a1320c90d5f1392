// Every message of the guest-checkout workflow, defined once. Stripe facts
// reach it through the same `stripeFact` signal as the workspace workflow.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ClaimRequest, ClaimResult, GuestCheckoutRequest, GuestCheckoutState } from '../src/domain/guest-checkout';

export const GUEST_CHECKOUT_WORKFLOW_TYPE = 'guestCheckoutWorkflow';

export function guestWorkflowIdFor(checkoutId: string): string {
  return `guest-checkout/${checkoutId}`;
}

export interface GuestCheckoutWorkflowInput {
  checkoutId: string;
  /** Present only when continuing as new. */
  state?: GuestCheckoutState;
  /** Continue as new once the run's history reaches this many events (tests lower it). Carried across continue-as-new. */
  continueAsNewAfterEvents?: number;
}

export interface GuestCheckoutLink {
  checkoutId: string;
  url: string;
  expiresAt: string;
}

/** Open the guest's hosted Checkout (update-with-start; the API chose the checkout id). */
export const startGuestCheckoutUpdate = defineUpdate<GuestCheckoutLink, [GuestCheckoutRequest]>('startGuestCheckout');
/** Attach the guest's billing state to a workspace after the product app verified the sign-in. */
export const claimGuestCheckoutUpdate = defineUpdate<ClaimResult, [ClaimRequest]>('claimGuestCheckout');
/** The guest checkout's full state, for operators and tests. */
export const guestStateQuery = defineQuery<GuestCheckoutState>('guestState');
