-- CreateTable
CREATE TABLE "dunning_reminder" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "grace_started_at" TIMESTAMPTZ(3) NOT NULL,
    "grace_ends_at" TIMESTAMPTZ(3) NOT NULL,
    "offset_ms" BIGINT NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "invoice" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "dunning_reminder_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dunning_reminder_sent_at_due_at_idx" ON "dunning_reminder"("sent_at", "due_at");

-- CreateIndex
CREATE UNIQUE INDEX "dunning_reminder_workspace_id_grace_started_at_offset_ms_key" ON "dunning_reminder"("workspace_id", "grace_started_at", "offset_ms");

