// createActivities({ prisma, stripe, settings }) builds every activity with
// its dependencies. Workflows import only the type.
import type { PrismaClient } from '@prisma/client';
import type Stripe from 'stripe';
import { createProjectionActivities } from './billing-projection';
import { createDunningActivities } from './dunning-outbox';
import { createRunContextActivities, type EngineSettings } from './settings';
import { createCheckoutActivities } from './stripe-checkout';
import { createPlanChangeActivities } from './stripe-plan-changes';
import { createPriceLookup } from './stripe-prices';

export interface ActivityDeps {
  prisma: PrismaClient;
  stripe: Stripe;
  settings: EngineSettings;
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
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { DunningReminderInput } from './dunning-outbox';
export type { EngineSettings, RunContext } from './settings';
export type { CreatedCheckout, CreateCheckoutInput, EnsureCustomerInput } from './stripe-checkout';
export type {
  AppliedPlanChange,
  ApplyPlanChangeInput,
  CancelAtPeriodEndResult,
  PlanChangePreview,
  PlanChangeTiming,
  PreviewPlanChangeInput,
  SetCancelAtPeriodEndInput,
} from './stripe-plan-changes';
