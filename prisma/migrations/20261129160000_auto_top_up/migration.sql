-- Auto top-up (docs/auto-top-up.md): per-workspace settings with the card a hosted
-- top-up saved for off-session use, and one row per threshold crossing that
-- was charged (the daily limit counts them, so a new run or a reset does not forget).

-- CreateTable
CREATE TABLE "wallet_auto_top_up" (
    "workspace_id" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "threshold_cents" BIGINT NOT NULL DEFAULT 0,
    "amount_cents" BIGINT NOT NULL DEFAULT 0,
    "stripe_customer_id" TEXT,
    "payment_method_id" TEXT,
    "disabled_reason" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "wallet_auto_top_up_pkey" PRIMARY KEY ("workspace_id")
);

-- CreateTable
CREATE TABLE "auto_top_up_charge" (
    "workspace_id" TEXT NOT NULL,
    "crossing_id" TEXT NOT NULL,
    "top_up_id" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "amount_cents" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "payment_intent_id" TEXT,
    "failure_code" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "auto_top_up_charge_pkey" PRIMARY KEY ("workspace_id","crossing_id")
);

-- CreateIndex
CREATE INDEX "auto_top_up_charge_workspace_id_day_idx" ON "auto_top_up_charge"("workspace_id", "day");

