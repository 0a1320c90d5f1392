// What `npm start` shows of its children's logs. The API and the worker
// always write pino JSON lines (production, `npm run start:api` and
// `start:worker` are unchanged, and log shippers read exactly that); only
// this supervisor, when it prints to a person, rewrites each JSON line with
// pino-pretty's formatter: local time, level, message, then the remaining
// fields on the same line. A request line becomes `GET /v1/plans → 200 (3 ms)`.
// Anything that is not a pino JSON line (a stack trace on stderr, the dev
// server's own text) is shown as it is. `npm start -- --json-logs` shows
// the raw lines.
import { prettyFactory } from 'pino-pretty';

/**
 * Fields not worth a terminal's width: the same on every line of a process
 * (the prefix names it), or summarised in the message (request lines).
 */
const HIDDEN_FIELDS = ['pid', 'hostname', 'name', 'service', 'namespace', 'taskQueue', 'runId', 'req', 'res', 'responseTime'];

type LogRecord = Record<string, unknown>;

function isRecord(value: unknown): value is LogRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A pino line: a JSON object with a numeric level and a message or time. */
function parsePinoLine(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const record: unknown = JSON.parse(line);
    if (isRecord(record) && typeof record.level === 'number' && ('msg' in record || 'time' in record)) return record;
  } catch {
    // not JSON after all
  }
  return undefined;
}

/** pino-http's request line as `GET /v1/plans → 200 (3 ms)`; undefined for other lines. */
export function requestSummary(log: LogRecord): string | undefined {
  const { req, res } = log;
  if (!isRecord(req) || !isRecord(res) || typeof req.method !== 'string' || typeof req.url !== 'string') return undefined;
  const status = typeof res.statusCode === 'number' ? ` → ${res.statusCode}` : '';
  const took = typeof log.responseTime === 'number' ? ` (${log.responseTime} ms)` : '';
  return `${req.method} ${req.url}${status}${took}`;
}

/**
 * The message as shown: a request line's summary, or the message itself;
 * a multi-line message below warn level (the SDK's webpack report when it
 * bundles the workflows) keeps its first line and says how many it hides.
 */
function messageOf(log: LogRecord, messageKey: string): string {
  const request = requestSummary(log);
  if (request) return request;
  const message = String(log[messageKey] ?? '');
  const lines = message.split('\n');
  if (lines.length === 1 || (typeof log.level === 'number' && log.level >= 40)) return message;
  return `${lines[0]} (+${lines.length - 1} more lines; --json-logs shows them)`;
}

/** Turns one output line into what a person reads (possibly several lines, for an error's stack). */
export function createLogPrettifier(options: { colorize: boolean }): (line: string) => string {
  const prettify = prettyFactory({
    colorize: options.colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: HIDDEN_FIELDS.join(','),
    messageFormat: (log, messageKey) => messageOf(log, messageKey),
  });
  return (line) => {
    const record = parsePinoLine(line);
    return record ? prettify(record).replace(/\r?\n$/, '') : line;
  };
}
