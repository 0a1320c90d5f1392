// Structured JSON logs (pino). Child loggers carry workspaceId, workflowId
// and Stripe event ids where they apply.
import pino from 'pino';

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'billing') {
  return pino({ name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime });
}

export type Logger = ReturnType<typeof createLogger>;
