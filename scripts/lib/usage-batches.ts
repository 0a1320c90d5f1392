// The usage batches of `npm run bench:usage`, generated the same way by the
// loader (which sends them) and by the bench (which knows from them what the
// wallet must have been debited): batch b of a workspace is a pure function
// of b, so nothing has to be kept or passed between processes. Each
// workspace receives the same batches 0..n-1; event ids are unique within a
// workspace (`b<batch>e<index>`), which is all the engine asks.
import { REQUEST_FAMILIES, type Environment, type RequestFamily } from '../../src/domain/plans';
import { rateBatch } from '../../src/domain/rating';
import type { UsageEvent } from '../../src/domain/usage';

export const BATCH_SIZE = 100;
const FAMILIES = Object.keys(REQUEST_FAMILIES) as RequestFamily[];

/** Batch `batch` of BATCH_SIZE events: every family, one event in ten in a free environment, quantities 1..4999. */
export function usageBatch(batch: number, occurredAt: string): UsageEvent[] {
  const events: UsageEvent[] = new Array(BATCH_SIZE);
  for (let i = 0; i < BATCH_SIZE; i++) {
    const n = batch * BATCH_SIZE + i;
    const environment: Environment = n % 10 === 9 ? 'sandbox' : 'production';
    events[i] = { id: `b${batch}e${i}`, projectId: 'prj_bench', family: FAMILIES[n % FAMILIES.length], environment, quantity: 1 + ((n * 7919) % 4999), occurredAt };
  }
  return events;
}

/** What a workspace's wallet must show once batches 0..batches-1 are rated, each event once. */
export interface ExpectedUsage {
  events: number;
  quantity: bigint;
  /** Σ of each event's rated value, in thousandths of a cent. */
  thousandths: bigint;
  debitCents: bigint;
  carryThousandths: bigint;
}

/**
 * Rated with the domain's own rateBatch, batch after batch with the carry
 * passed on (the rating pass splits differently; the domain guarantees the
 * split does not change the cents, which is part of what the check checks).
 */
export function expectedUsage(batches: number, occurredAt = '2026-01-01T00:00:00Z'): ExpectedUsage {
  let carry = 0n;
  let debit = 0n;
  let quantity = 0n;
  let thousandths = 0n;
  for (let b = 0; b < batches; b++) {
    const events = usageBatch(b, occurredAt);
    const rated = rateBatch(events, { carryThousandths: carry });
    debit += rated.debitCents;
    carry = rated.carryThousandths;
    for (const e of events) quantity += BigInt(e.quantity);
    for (const v of rated.perEvent) thousandths += v;
  }
  return { events: batches * BATCH_SIZE, quantity, thousandths, debitCents: debit, carryThousandths: carry };
}
