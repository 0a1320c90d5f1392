-- AlterTable
ALTER TABLE "usage_event" ADD COLUMN     "parked_reason" TEXT;

-- CreateTable
CREATE TABLE "wallet_nudge" (
    "workspace_id" TEXT NOT NULL,
    "requested_at" TIMESTAMPTZ(3),

    CONSTRAINT "wallet_nudge_pkey" PRIMARY KEY ("workspace_id")
);

-- CreateTable
CREATE TABLE "wallet_exception" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "source_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "details" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "wallet_exception_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "wallet_exception_created_at_idx" ON "wallet_exception"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "wallet_exception_workspace_id_kind_source_id_key" ON "wallet_exception"("workspace_id", "kind", "source_id");

