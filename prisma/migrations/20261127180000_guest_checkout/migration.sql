-- AlterTable
ALTER TABLE "stripe_event" ADD COLUMN     "guest_checkout_id" TEXT;

-- CreateTable
CREATE TABLE "guest_checkout" (
    "checkout_id" TEXT NOT NULL,
    "email" TEXT,
    "plan_id" TEXT,
    "interval" TEXT,
    "status" TEXT NOT NULL,
    "billing_status" TEXT NOT NULL,
    "stripe_customer_id" TEXT,
    "stripe_checkout_session_id" TEXT,
    "stripe_subscription_id" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "paid_at" TIMESTAMPTZ(3),
    "flagged_at" TIMESTAMPTZ(3),
    "claimed_workspace_id" TEXT,
    "claimed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "version" INTEGER NOT NULL,

    CONSTRAINT "guest_checkout_pkey" PRIMARY KEY ("checkout_id")
);

-- CreateIndex
CREATE INDEX "guest_checkout_status_paid_at_idx" ON "guest_checkout"("status", "paid_at");

-- CreateIndex
CREATE INDEX "guest_checkout_claimed_workspace_id_idx" ON "guest_checkout"("claimed_workspace_id");

-- CreateIndex
CREATE INDEX "guest_checkout_stripe_customer_id_idx" ON "guest_checkout"("stripe_customer_id");

-- CreateIndex
CREATE INDEX "guest_checkout_stripe_subscription_id_idx" ON "guest_checkout"("stripe_subscription_id");

