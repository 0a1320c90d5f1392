// GET /v1/access/changes — the access change stream (server-sent events)
// for embedded access clients: see src/access/change-hub.ts for what it
// sends and why resumption is exact. Authenticated with the app token or
// the operator token (createApp). Everything that can be refused is refused
// before the stream starts, as problem+json: a malformed Last-Event-ID is a
// 400, a feed that is not listening a 503 (the client retries).
import type { RequestHandler, Response } from 'express';
import { accessChangesQuerySchema, eventIdSchema, type EventPosition } from '../../domain/access-stream';
import { DomainError, ValidationError } from '../../domain/errors';
import type { AccessChangeHub, ChangeSink } from '../../access/change-hub';
import { parseInput } from '../validate';

const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  Connection: 'keep-alive',
  // Proxies that buffer responses (nginx) would hold events back.
  'X-Accel-Buffering': 'no',
};

function lastEventId(header: string | undefined, query: unknown): EventPosition | null {
  const { lastEventId: fromQuery } = parseInput(accessChangesQuerySchema, query, 'query');
  const fromHeader = header !== undefined && header !== '';
  const raw = fromHeader ? header : fromQuery;
  if (raw === undefined || raw === '') return null;
  const parsed = eventIdSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    [{ path: fromHeader ? 'headers.last-event-id' : 'query.lastEventId', message: parsed.error.issues[0]?.message ?? 'malformed' }],
    'Last-Event-ID is malformed: resume with an id this stream sent, or without one for a full resync.',
  );
}

function sinkOf(res: Response): ChangeSink {
  return {
    write: (frame) => res.write(frame),
    drained: () =>
      res.writableNeedDrain && !res.writableEnded
        ? new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.on('drain', done);
            res.on('close', done);
          })
        : Promise.resolve(),
    get buffered() {
      return res.writableLength;
    },
    end: () => {
      if (!res.writableEnded) res.end();
    },
  };
}

export function accessChangesRoute(hub: AccessChangeHub | undefined): RequestHandler {
  return (req, res) => {
    const from = lastEventId(req.get('last-event-id'), req.query);
    if (hub === undefined || !hub.available) {
      throw new DomainError('change_stream_unavailable', 'The engine is not receiving access notifications right now; retry shortly.');
    }
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    res.writeHead(200, STREAM_HEADERS);
    res.flushHeaders();
    const stream = hub.open(from, sinkOf(res));
    res.on('close', () => stream.close());
  };
}
