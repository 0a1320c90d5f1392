-- The workflow state a run started afresh over this row continues from.
ALTER TABLE "workspace_billing" ADD COLUMN "recovery_state" JSONB;
