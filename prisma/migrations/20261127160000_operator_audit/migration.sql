-- CreateTable
CREATE TABLE "operator_audit" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "details" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operator_audit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "operator_audit_workspace_id_created_at_idx" ON "operator_audit"("workspace_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "operator_audit_workspace_id_request_id_key" ON "operator_audit"("workspace_id", "request_id");

