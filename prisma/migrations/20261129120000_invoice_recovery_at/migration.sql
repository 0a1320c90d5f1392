-- AlterTable
ALTER TABLE "workspace_billing" ADD COLUMN     "invoice_recovery_at" TIMESTAMPTZ(3);

-- Rows written before the column existed: a workspace shown in billing
-- recovery without being past due was so because of an unpaid invoice
-- (readers now evaluate the mode from the recorded facts, not the stored mode).
UPDATE "workspace_billing" SET "invoice_recovery_at" = "updated_at"
WHERE "mode" = 'billing_recovery' AND "status" <> 'past_due';
