-- CreateTable
CREATE TABLE "usage_event" (
    "seq" BIGSERIAL NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "quantity" BIGINT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rated_thousandths" BIGINT,
    "rated_at" TIMESTAMPTZ(3),
    "reported_at" TIMESTAMPTZ(3),

    CONSTRAINT "usage_event_pkey" PRIMARY KEY ("workspace_id","event_id")
);

-- CreateTable
CREATE TABLE "wallet_entry" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "amount_cents" BIGINT NOT NULL,
    "source_type" TEXT NOT NULL,
    "source_id" TEXT NOT NULL,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "wallet_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wallet_balance" (
    "workspace_id" TEXT NOT NULL,
    "balance_cents" BIGINT NOT NULL DEFAULT 0,
    "usage_carry_thousandths" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "wallet_balance_pkey" PRIMARY KEY ("workspace_id")
);

-- CreateTable
CREATE TABLE "monthly_spend" (
    "workspace_id" TEXT NOT NULL,
    "month" TEXT NOT NULL,
    "spent_cents" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "monthly_spend_pkey" PRIMARY KEY ("workspace_id","month")
);

-- CreateTable
CREATE TABLE "production_project" (
    "workspace_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "first_allowed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "production_project_pkey" PRIMARY KEY ("workspace_id","project_id")
);

-- CreateTable
CREATE TABLE "spend_control" (
    "workspace_id" TEXT NOT NULL,
    "monthly_cap_cents" BIGINT NOT NULL,
    "alert_thresholds_percent" INTEGER[],
    "action" TEXT NOT NULL,
    "blocked_month" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "spend_control_pkey" PRIMARY KEY ("workspace_id")
);

-- CreateTable
CREATE TABLE "spend_alert" (
    "workspace_id" TEXT NOT NULL,
    "month" TEXT NOT NULL,
    "threshold_percent" INTEGER NOT NULL,
    "spent_cents" BIGINT NOT NULL,
    "cap_cents" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "spend_alert_pkey" PRIMARY KEY ("workspace_id","month","threshold_percent")
);

-- CreateTable
CREATE TABLE "contract_price" (
    "workspace_id" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "cents_per_1000" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "contract_price_pkey" PRIMARY KEY ("workspace_id","family")
);

-- CreateIndex
CREATE INDEX "usage_event_workspace_id_rated_at_seq_idx" ON "usage_event"("workspace_id", "rated_at", "seq");

-- CreateIndex
CREATE INDEX "usage_event_workspace_id_environment_reported_at_idx" ON "usage_event"("workspace_id", "environment", "reported_at");

-- CreateIndex
CREATE UNIQUE INDEX "usage_event_seq_key" ON "usage_event"("seq");

-- CreateIndex
CREATE INDEX "wallet_entry_workspace_id_id_idx" ON "wallet_entry"("workspace_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "wallet_entry_workspace_id_source_type_source_id_key" ON "wallet_entry"("workspace_id", "source_type", "source_id");


-- The gate's cache in the API processes is invalidated by these
-- notifications (LISTEN access_changed): whatever changes a workspace's
-- access answer notifies with its workspace id.
CREATE OR REPLACE FUNCTION notify_access_changed() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('access_changed', COALESCE(NEW.workspace_id, OLD.workspace_id));
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER workspace_billing_access_changed AFTER INSERT OR UPDATE OR DELETE ON "workspace_billing"
  FOR EACH ROW EXECUTE FUNCTION notify_access_changed();
CREATE TRIGGER wallet_balance_access_changed AFTER INSERT OR UPDATE OR DELETE ON "wallet_balance"
  FOR EACH ROW EXECUTE FUNCTION notify_access_changed();
CREATE TRIGGER spend_control_access_changed AFTER INSERT OR UPDATE OR DELETE ON "spend_control"
  FOR EACH ROW EXECUTE FUNCTION notify_access_changed();
CREATE TRIGGER production_project_access_changed AFTER INSERT OR UPDATE OR DELETE ON "production_project"
  FOR EACH ROW EXECUTE FUNCTION notify_access_changed();
