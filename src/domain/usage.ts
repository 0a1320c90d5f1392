// Usage events as the product's gateways report them, and the validation of
// a batch. Event ids are idempotency keys: an id is counted once per
// workspace, forever.
//
// Decision: a batch is atomic. If any event is invalid the whole batch is
// rejected (the API answers 400 listing every offending event and writes
// nothing), so a client never has to work out which half of a batch was kept;
// it fixes the events and resends the batch, and the ids make resending safe.
// Duplicate ids inside one batch are not an error: the first occurrence
// counts, later ones are reported as duplicates, like a redelivery.
import { z } from 'zod';
import { ENVIRONMENTS, REQUEST_FAMILIES, type RequestFamily } from './plans';
import { NO_NUL, NO_NUL_MESSAGE } from './schemas';

export const MAX_USAGE_BATCH = 1000;
/**
 * Most requests one usage event may count. Far above any real gateway's
 * aggregation window, and low enough that no sum of events can leave the
 * range of exact integers in the ledger.
 */
export const MAX_USAGE_QUANTITY = 1_000_000_000_000;

const FAMILY_IDS = Object.keys(REQUEST_FAMILIES) as [RequestFamily, ...RequestFamily[]];

export const usageEventSchema = z.strictObject({
  // PostgreSQL text cannot hold NUL: refused here (400, documented) instead of failing the insert (was a 503 the fuzzer found).
  id: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').regex(NO_NUL, NO_NUL_MESSAGE),
  projectId: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters').regex(NO_NUL, NO_NUL_MESSAGE),
  family: z.enum(FAMILY_IDS, { error: `must be one of ${FAMILY_IDS.join(', ')}` }),
  environment: z.enum(ENVIRONMENTS, { error: `must be one of ${ENVIRONMENTS.join(', ')}` }),
  /** Number of requests. */
  quantity: z
    .int({ error: 'must be a whole number of requests' })
    .min(0, 'must not be negative')
    .max(MAX_USAGE_QUANTITY, `must be at most ${MAX_USAGE_QUANTITY} requests per event`),
  occurredAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with Z or an offset' }),
});
export type UsageEvent = z.infer<typeof usageEventSchema>;

const batchEvents = (item: z.ZodType) =>
  z
    .array(item, { error: `must be an array of 1 to ${MAX_USAGE_BATCH} usage events` })
    .min(1, 'must contain at least one event')
    .max(MAX_USAGE_BATCH, `must contain at most ${MAX_USAGE_BATCH} events`);

export const usageBatchSchema = z.strictObject({ events: batchEvents(usageEventSchema) });
export type UsageBatch = z.infer<typeof usageBatchSchema>;

/** The batch's envelope alone: events are then checked one by one so each error names its event. */
const envelopeSchema = z.strictObject({ events: batchEvents(z.unknown()) });

export interface UsageEventError {
  /** Position of the event in the batch; null for errors of the batch itself. */
  index: number | null;
  /** The event's id when it has a readable one. */
  id: string | null;
  /** Path in the request body, e.g. `events.3.quantity`. */
  path: string;
  message: string;
}

export type UsageBatchValidation = { ok: true; events: UsageEvent[] } | { ok: false; errors: UsageEventError[] };

function issuesToErrors(issues: z.core.$ZodIssue[], prefix: (string | number)[], index: number | null, id: string | null): UsageEventError[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ index, id, path: [...path, key].join('.'), message: index === null ? 'is not a field of a usage batch' : 'is not a field of a usage event' }));
    }
    return [{ index, id, path: path.join('.'), message: issue.message }];
  });
}

/** Validates a request body `{ events: [...] }`, listing every offending event (an oversize batch is one error). */
export function validateUsageBatch(body: unknown): UsageBatchValidation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ index: null, id: null, path: 'events', message: 'the body must be an object with an events array' }] };
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return { ok: false, errors: issuesToErrors(envelope.error.issues, [], null, null) };
  const events: UsageEvent[] = [];
  const errors: UsageEventError[] = [];
  envelope.data.events.forEach((raw, index) => {
    const parsed = usageEventSchema.safeParse(raw);
    if (parsed.success) {
      events.push(parsed.data);
      return;
    }
    const rawId = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
    const id = typeof rawId === 'string' && rawId.length > 0 ? rawId.slice(0, 200) : null;
    errors.push(...issuesToErrors(parsed.error.issues, ['events', index], index, id));
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, events };
}

/** Keeps the first event of each id, in order; `duplicates` counts the later ones. */
export function firstOccurrences<E extends { id: string }>(events: readonly E[]): { unique: E[]; duplicates: number } {
  const seen = new Set<string>();
  const unique = events.filter((event) => {
    if (seen.has(event.id)) return false;
    seen.add(event.id);
    return true;
  });
  return { unique, duplicates: events.length - unique.length };
}
