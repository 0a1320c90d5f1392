-- CreateTable
CREATE TABLE "notification" (
    "id" TEXT NOT NULL,
    "source_key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "workspace_id" TEXT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "body" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "round" INTEGER NOT NULL DEFAULT 1,
    "next_attempt_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "locked_until" TIMESTAMPTZ(3),
    "lease_id" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "seq" BIGSERIAL NOT NULL,

    CONSTRAINT "notification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_attempt" (
    "id" BIGSERIAL NOT NULL,
    "notification_id" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "attempt" INTEGER NOT NULL,
    "url" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "response_body" TEXT,

    CONSTRAINT "notification_attempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "notification_source_key_key" ON "notification"("source_key");

-- CreateIndex
CREATE UNIQUE INDEX "notification_seq_key" ON "notification"("seq");

-- CreateIndex
CREATE INDEX "notification_status_next_attempt_at_idx" ON "notification"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "notification_workspace_id_seq_idx" ON "notification"("workspace_id", "seq");

-- CreateIndex
CREATE INDEX "notification_attempt_notification_id_id_idx" ON "notification_attempt"("notification_id", "id");

-- AddForeignKey
ALTER TABLE "notification_attempt" ADD CONSTRAINT "notification_attempt_notification_id_fkey" FOREIGN KEY ("notification_id") REFERENCES "notification"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- The worker's dispatcher LISTENs on notification_due: a new notification
-- wakes it at once (a short poll covers a lost notification).
CREATE OR REPLACE FUNCTION notify_notification_due() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('notification_due', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER notification_due AFTER INSERT ON "notification"
  FOR EACH STATEMENT EXECUTE FUNCTION notify_notification_due();

ALTER TABLE "notification" ADD CONSTRAINT "notification_status_check"
  CHECK ("status" IN ('pending', 'delivered', 'failed', 'not_sent'));
