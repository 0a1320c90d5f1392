-- Rated production usage is reported to Stripe in groups: one meter event per
-- (family, second of occurrence) among the rows a pass claims. The group's
-- identifier is written on its rows before anything is sent, so a retry
-- re-sends the same group under the same identifier.
ALTER TABLE "usage_event" ADD COLUMN "report_identifier" TEXT;
