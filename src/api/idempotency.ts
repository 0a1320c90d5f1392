// Idempotency-Key for the app's and operators' requests that start
// something (checkout, guest checkout, plan change, top-up, claims, operator
// actions). The key names the request: the workflow gets a request id
// derived from it, from which it derives Stripe idempotency keys and ids
// (a top-up id), so a retry names the same Stripe object even after the
// workflow was reset or restarted; the first successful answer is kept in
// idempotency_key and a retry with the same request gets it back
// (`Idempotent-Replayed: true`); the same key with another request is
// refused with 409 idempotency_key_reused. Refusals and failures are not
// kept: a retry is evaluated again. Without the header a request gets a
// random request id (and no protection beyond the workflow's own rules).
import { createHash, randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { Prisma } from '@prisma/client';
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { DomainError } from '../domain/errors';
import { parseInput } from './validate';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key must be 1-255 visible ASCII characters')
  .describe('Names this request: a retry with the same key and the same request gets the first answer; with another request, 409 idempotency_key_reused');
const headers = z.object({ 'idempotency-key': idempotencyKeySchema.optional() });

export type Principal = 'app' | 'operator';

export interface RouteResult {
  status: number;
  body: unknown;
}

export interface RequestContext {
  /** What the workflow names the request by (src/domain/schemas.ts requestIdSchema). */
  requestId: string;
  /** The Idempotency-Key header, when the client sent one. */
  key: string | null;
}

export interface IdempotencyOptions {
  prisma: PrismaClient;
  principal: Principal;
  /** A kept answer older than this is forgotten: the key may name a new request. */
  ttlMs: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted, so the same request always has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function fingerprintOf(req: Pick<Request, 'method' | 'baseUrl' | 'path' | 'body'>): string {
  return sha256(`${req.method} ${req.baseUrl}${req.path}\n${canonical(req.body ?? null)}`);
}

/** Where a key's answer is kept (the key itself is not stored). */
export function keyHashOf(principal: Principal, key: string): string {
  return sha256(`${principal}:${key}`);
}

/** The request id a key maps to: the same key of the same principal, the same id, forever. */
export function requestIdForKey(principal: Principal, key: string): string {
  return `k${keyHashOf(principal, key).slice(0, 40)}`;
}

export function randomRequestId(): string {
  return `r${randomUUID().replace(/-/g, '')}`;
}

async function database<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new DomainError('database_unavailable', 'The request could not be recorded; try again with the same Idempotency-Key.', {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
}

type Row = { fingerprint: string; status: string; responseStatus: number | null; responseBody: unknown };

/** Reserves the key for this request, or returns what it already names. */
async function reserve(o: IdempotencyOptions, keyHash: string, fingerprint: string): Promise<Row> {
  return database(async () => {
    // A kept answer past its lifetime is forgotten: the key is free again.
    await o.prisma.idempotencyKey.deleteMany({ where: { keyHash, createdAt: { lt: new Date(Date.now() - o.ttlMs) } } });
    await o.prisma.idempotencyKey.createMany({ data: [{ keyHash, principal: o.principal, fingerprint, status: 'in_flight' }], skipDuplicates: true });
    const row = await o.prisma.idempotencyKey.findUniqueOrThrow({ where: { keyHash } });
    return { fingerprint: row.fingerprint, status: row.status, responseStatus: row.responseStatus, responseBody: row.responseBody };
  });
}

/**
 * Wraps a route that starts something. The handler gets the request id and
 * returns the answer; with an Idempotency-Key the first successful answer is
 * kept and given again to a retry.
 */
export function idempotency(o: IdempotencyOptions) {
  return (handler: (req: Request, ctx: RequestContext) => Promise<RouteResult>): RequestHandler =>
    async (req, res) => {
      const key = parseInput(headers, req.headers, 'headers')['idempotency-key'] ?? null;
      if (key === null) {
        const result = await handler(req, { requestId: randomRequestId(), key });
        res.status(result.status).json(result.body);
        return;
      }
      const keyHash = keyHashOf(o.principal, key);
      const fingerprint = fingerprintOf(req);
      const row = await reserve(o, keyHash, fingerprint);
      if (row.fingerprint !== fingerprint) {
        throw new DomainError('idempotency_key_reused', 'This Idempotency-Key was used for another request; use a new key for a new request.');
      }
      if (row.status === 'completed' && row.responseStatus !== null) {
        res.set('Idempotent-Replayed', 'true').status(row.responseStatus).json(row.responseBody);
        return;
      }
      let result: RouteResult;
      try {
        result = await handler(req, { requestId: requestIdForKey(o.principal, key), key });
      } catch (err) {
        // Refused or failed: nothing is kept, a retry is evaluated again.
        await o.prisma.idempotencyKey.deleteMany({ where: { keyHash, fingerprint, status: 'in_flight' } }).catch(() => undefined);
        throw err;
      }
      // Kept for retries; if this write fails, a retry repeats the request under the same request id, which the
      // workflow and Stripe answer the same way.
      await o.prisma.idempotencyKey
        .updateMany({
          where: { keyHash, fingerprint },
          data: { status: 'completed', responseStatus: result.status, responseBody: (result.body ?? Prisma.JsonNull) as Prisma.InputJsonValue, completedAt: new Date() },
        })
        .catch(() => undefined);
      res.status(result.status).json(result.body);
    };
}

/** Forgets kept answers past their lifetime (the API prunes periodically; a stale row is also ignored on use). */
export async function pruneIdempotencyKeys(prisma: PrismaClient, ttlMs: number, limit = 1000): Promise<number> {
  return prisma.$executeRaw`
    DELETE FROM idempotency_key WHERE key_hash IN (
      SELECT key_hash FROM idempotency_key WHERE created_at < ${new Date(Date.now() - ttlMs)} LIMIT ${limit}::int)`;
}
