-- The webhook outbox: a recorded Stripe event carries the billing fact to
-- signal, the task queue whose relay signals it, and its place in the order
-- of recording (src/webhooks/webhook-relay.ts). Pending = fact set and
-- delivered_at null. Rows written before this migration keep fact null: a
-- redelivery of one that was never delivered records its fact then.

-- AlterTable
ALTER TABLE "stripe_event" ADD COLUMN     "fact" JSONB,
ADD COLUMN     "seq" BIGSERIAL NOT NULL,
ADD COLUMN     "task_queue" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "stripe_event_seq_key" ON "stripe_event"("seq");

-- The relay reads pending rows of its task queue in order: a partial index
-- keeps that read small whatever the size of the webhook log (schema.prisma
-- cannot express a partial index; written by hand).
CREATE INDEX "stripe_event_pending_idx" ON "stripe_event"("task_queue", "seq") WHERE "delivered_at" IS NULL AND "fact" IS NOT NULL;
