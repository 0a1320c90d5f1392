// createActivities({ prisma, stripe, settings }) builds every activity with
// its dependencies. Workflows import only the type.
import type { PrismaClient } from '@prisma/client';
import type Stripe from 'stripe';
import { createProjectionActivities } from './billing-projection';
import { createRunContextActivities, type EngineSettings } from './settings';
import { createCheckoutActivities } from './stripe-checkout';

export interface ActivityDeps {
  prisma: PrismaClient;
  stripe: Stripe;
  settings: EngineSettings;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRunContextActivities(deps),
    ...createCheckoutActivities(deps),
    ...createProjectionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { EngineSettings, RunContext } from './settings';
export type { CreatedCheckout, CreateCheckoutInput, EnsureCustomerInput } from './stripe-checkout';
