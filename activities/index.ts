// createActivities({ prisma, stripe, settings, workspaces }) builds every activity with
// its dependencies. Workflows import only the type.
import type { PrismaClient } from '@prisma/client';
import type Stripe from 'stripe';
import { createProjectionActivities } from './billing-projection';
import { createGuestClaimActivities, type GuestClaimPort } from './guest-claims';
import type { OutboxSettings } from './notification-outbox';
import { createDunningActivities } from './dunning-outbox';
import { createEnterpriseActivities } from './enterprise-controls';
import { createOperatorAuditActivities } from './operator-audit';
import { createResyncActivities } from './stripe-resync';
import { createReconciliationActivities } from './reconciliation';
import { createSalesLeadActivities } from './sales-leads';
import { createRunContextActivities, type EngineSettings } from './settings';
import { createSpendControlActivities } from './spend-controls';
import { createCheckoutActivities } from './stripe-checkout';
import { createPlanChangeActivities } from './stripe-plan-changes';
import { createMeterEventActivities } from './stripe-meter-events';
import { createPriceLookup } from './stripe-prices';
import { createWalletLedgerActivities } from './wallet-ledger';
import { createTopUpActivities } from './stripe-top-ups';
import { createAutoTopUpActivities } from './auto-top-up';

export interface ActivityDeps {
  prisma: PrismaClient;
  stripe: Stripe;
  settings: EngineSettings;
  /** The workspace workflows, for claims of guest checkouts (the API's WorkspaceClient). */
  workspaces: GuestClaimPort;
  /** Outbound webhooks: sent by this worker's dispatcher, or (no OUTBOUND_WEBHOOK_URL) recorded as not_sent. Default: sent. */
  outbox?: OutboxSettings;
}

export function createActivities(deps: ActivityDeps) {
  // One price cache for every Stripe activity of this worker.
  const prices = createPriceLookup(deps.stripe);
  return {
    ...createRunContextActivities(deps),
    ...createCheckoutActivities({ ...deps, prices }),
    ...createPlanChangeActivities({ ...deps, prices }),
    ...createProjectionActivities(deps),
    ...createDunningActivities(deps),
    ...createSalesLeadActivities(deps),
    ...createSpendControlActivities(deps),
    ...createTopUpActivities(deps),
    ...createAutoTopUpActivities(deps),
    ...createEnterpriseActivities(deps),
    ...createWalletLedgerActivities(deps),
    ...createMeterEventActivities(deps),
    ...createOperatorAuditActivities(deps),
    ...createResyncActivities(deps),
    ...createReconciliationActivities(deps),
    ...createGuestClaimActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { DunningReminderInput } from './dunning-outbox';
export type { SalesLeadInput } from './sales-leads';
export type { EngineSettings, RunContext } from './settings';
export type { WorkspaceBillingRef } from './spend-controls';
export type { InvoicingControls } from './enterprise-controls';
export type { OperatorActionName, OperatorActionRecord } from './operator-audit';
export type { ResyncInput } from './stripe-resync';
export type { ListReconcilableInput, ReconciledState, ResyncWorkspaceInput, ResyncWorkspaceResult } from './reconciliation';
export type { CreatedTopUp, CreateTopUpInput } from './stripe-top-ups';
export type { ChargeAutoTopUpInput, ChargeAutoTopUpResult, DisableAutoTopUpInput, LoadAutoTopUpInput, RememberPaymentMethodInput } from './auto-top-up';
export type { CreatedCheckout, CreateCheckoutInput, CreateGuestCheckoutInput, EnsureCustomerInput } from './stripe-checkout';
export type { GuestClaimPort } from './guest-claims';
export type { OutboxSettings } from './notification-outbox';
export type {
  AppliedPlanChange,
  ApplyPlanChangeInput,
  CancelAtPeriodEndResult,
  PlanChangePreview,
  PlanChangeTiming,
  PreviewPlanChangeInput,
  SetCancelAtPeriodEndInput,
} from './stripe-plan-changes';
export type { ReportUsageInput, ReportUsageResult } from './stripe-meter-events';
export type { CreditWalletInput, CreditWalletResult, MonthSpendInput, RateAndDebitInput, RateAndDebitResult } from './wallet-ledger';
