-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "workspace_billing" (
    "workspace_id" TEXT NOT NULL,
    "plan_id" TEXT NOT NULL,
    "interval" TEXT,
    "status" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "current_period_end" TIMESTAMPTZ(3),
    "stripe_customer_id" TEXT,
    "stripe_subscription_id" TEXT,
    "checkout_id" TEXT,
    "checkout_url" TEXT,
    "checkout_expires_at" TIMESTAMPTZ(3),
    "grace_started_at" TIMESTAMPTZ(3),
    "grace_ends_at" TIMESTAMPTZ(3),
    "grace_expired" BOOLEAN NOT NULL DEFAULT false,
    "unpaid_invoice" JSONB,
    "pending_change" JSONB,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "workspace_billing_pkey" PRIMARY KEY ("workspace_id")
);

-- CreateTable
CREATE TABLE "stripe_event" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "workspace_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),
    "outcome" TEXT,

    CONSTRAINT "stripe_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "workspace_billing_stripe_customer_id_key" ON "workspace_billing"("stripe_customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "workspace_billing_stripe_subscription_id_key" ON "workspace_billing"("stripe_subscription_id");

-- CreateIndex
CREATE INDEX "stripe_event_workspace_id_idx" ON "stripe_event"("workspace_id");

