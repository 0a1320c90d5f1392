-- CreateTable
CREATE TABLE "sales_lead" (
    "id" BIGSERIAL NOT NULL,
    "request_id" TEXT NOT NULL,
    "workspace_id" TEXT,
    "email" TEXT,
    "plan_id" TEXT NOT NULL,
    "interval" TEXT,
    "source" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sales_lead_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sales_lead_request_id_key" ON "sales_lead"("request_id");

-- CreateIndex
CREATE INDEX "sales_lead_created_at_idx" ON "sales_lead"("created_at");

