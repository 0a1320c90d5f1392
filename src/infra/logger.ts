// Structured JSON logs (pino), one JSON object per line on stdout. Request
// lines carry workspaceId and workflowId on workspace routes, webhook lines
// stripeEventId, type, workspaceId and workflowId; the worker's SDK lines
// carry the SDK's metadata (workflowId, runId, activityType, …).
import pino from 'pino';

/** `destination` (default stdout) is for tests that read the lines back. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'billing', destination?: pino.DestinationStream) {
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Request lines (pino-http) carry the headers: never the credentials.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["stripe-signature"]'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type Logger = ReturnType<typeof createLogger>;
