// Exact rating of usage. Unit prices are cents per 1,000 requests, so an
// event is worth quantity × centsPer1000 THOUSANDTHS of a cent: an integer,
// computed in bigint so no quantity can overflow or round. The wallet is
// debited whole cents only; the sub-cent remainder is carried to the next
// batch, so however the same events are split into batches, the cents debited
// plus the final carry equal the exact total: nothing is lost, nothing is
// rounded twice.
import { DomainError } from './errors';
import { ENVIRONMENTS, FREE_ENVIRONMENTS, REQUEST_FAMILIES, type Environment, type RequestFamily } from './plans';
import { MAX_USAGE_QUANTITY } from './usage';

/** Contract unit prices (cents per 1,000 requests) that replace the public rate card. */
export type ContractPrices = Partial<Record<RequestFamily, number>>;

export interface RatableEvent {
  family: RequestFamily;
  environment: Environment;
  quantity: bigint | number;
}

export interface RatedBatch {
  /** Each event's value in thousandths of a cent, in input order. */
  perEvent: bigint[];
  /** Whole cents to debit for this batch (floor of carry + Σ perEvent over 1000). */
  debitCents: bigint;
  /** What is left below one cent, in thousandths of a cent (0..999). */
  carryThousandths: bigint;
}

export const THOUSANDTHS_PER_CENT = 1000n;

export function isRequestFamily(value: unknown): value is RequestFamily {
  return typeof value === 'string' && Object.hasOwn(REQUEST_FAMILIES, value);
}

export function isFreeEnvironment(environment: Environment): boolean {
  return FREE_ENVIRONMENTS.includes(environment);
}

/** Cents per 1,000 requests of a family: the contract's price when it has one, else the public rate card. */
export function unitPrice(family: RequestFamily, contractPrices?: ContractPrices): number {
  if (!isRequestFamily(family)) throw new DomainError('internal_error', `Unknown request family ${String(family)}`);
  const price = contractPrices?.[family] ?? REQUEST_FAMILIES[family].centsPer1000;
  if (!Number.isSafeInteger(price) || price < 0) {
    throw new DomainError('internal_error', `Unit price of ${family} must be a non-negative integer, got ${price}`);
  }
  return price;
}

/** One event's value in thousandths of a cent (0 in free environments). */
export function rateEvent(event: RatableEvent, contractPrices?: ContractPrices): bigint {
  const quantity = BigInt(event.quantity);
  if (quantity < 0n) throw new DomainError('internal_error', `Usage quantity must not be negative, got ${quantity}`);
  if (isFreeEnvironment(event.environment)) return 0n;
  return quantity * BigInt(unitPrice(event.family, contractPrices));
}

export function rateBatch(
  events: readonly RatableEvent[],
  { carryThousandths, contractPrices }: { carryThousandths: bigint; contractPrices?: ContractPrices },
): RatedBatch {
  if (carryThousandths < 0n) throw new DomainError('internal_error', `Usage carry must not be negative, got ${carryThousandths}`);
  const perEvent = events.map((event) => rateEvent(event, contractPrices));
  const total = perEvent.reduce((sum, value) => sum + value, carryThousandths);
  return {
    perEvent,
    debitCents: total / THOUSANDTHS_PER_CENT,
    carryThousandths: total % THOUSANDTHS_PER_CENT,
  };
}

/** A stored usage row as the rating pass reads it (values not checked yet). */
export interface StoredUsageRow {
  family: string;
  environment: string;
  quantity: bigint;
}

/**
 * Why a stored row cannot be rated (it is then parked for operators rather
 * than retried forever), or null when it can. Ingestion refuses such events;
 * rows written around it (an older version, a manual fix) are what this catches.
 */
export function unratableReason(row: StoredUsageRow): 'unknown_family' | 'unknown_environment' | 'quantity_out_of_range' | null {
  if (!isRequestFamily(row.family)) return 'unknown_family';
  if (!(ENVIRONMENTS as readonly string[]).includes(row.environment)) return 'unknown_environment';
  if (row.quantity < 0n || row.quantity > BigInt(MAX_USAGE_QUANTITY)) return 'quantity_out_of_range';
  return null;
}
