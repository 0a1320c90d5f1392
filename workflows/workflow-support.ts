// Small pieces shared by the workspace workflow's handlers: activity
// proxies, the way requests are rejected, and timers that are never
// cancelled. Deterministic code only.
import { ActivityFailure, ApplicationFailure, allHandlersFinished, condition, isCancellation, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Start-to-close timeout of activities that call Stripe; the Stripe client's worst case stays inside it. */
export const STRIPE_ACTIVITY_TIMEOUT_MS = 30_000;

/** Stripe calls and other side effects: retried with backoff, then reported to the caller. */
export const billing = proxyActivities<Activities>({
  startToCloseTimeout: STRIPE_ACTIVITY_TIMEOUT_MS,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** The read model and the outbox must catch up eventually: retried without limit. */
export const durable = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds' });

/** Usage reports to Stripe inside the workflow task (a marker, no extra task); a failure is reported back, the next pass resumes. */
export const localReport = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumAttempts: 2 } });
/** How long one local report may keep sending before it hands back (the next call continues). */
export const REPORT_BUDGET_MS = 5_000;

/** Short database transactions that must complete: run inside the workflow task (one marker in history, no extra task), retried without limit. */
export const localDurable = proxyLocalActivities<Activities>({
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Rejects an update with a stable code (the ApplicationFailure type), never retried. */
export function reject(code: string, message: string, details?: Record<string, unknown>): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true, details: details ? [details] : [] });
}

interface SafeParser<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/** Validates an update's input with its zod schema; refuses it with every offending field listed. */
export function parseOrReject<T>(schema: SafeParser<T>, value: unknown, message: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    reject('validation_failed', message, {
      errors: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return parsed.data;
}

/** Passes a failed activity's stable type (e.g. price_not_configured) on to the update's caller. */
export function rethrowActivityFailure(err: unknown): never {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const details = err.cause.details?.[0];
    reject(err.cause.type ?? 'payment_provider_error', err.cause.message, details && typeof details === 'object' ? (details as Record<string, unknown>) : undefined);
  }
  throw err;
}

/**
 * Runs `onFire` at `atMs` (workflow time). The timer is deliberately never
 * cancelled: cancelling a timer that fired in the same workflow task hangs
 * the time-skipping test server (sdk-java #2606, #3088), and a timer that
 * outlives its purpose costs nothing — `onFire` re-checks the state.
 * `summary` names the timer in the Web UI as a billing step.
 */
export function fireAt(atMs: number, onFire: () => void, summary?: string): void {
  sleep(Math.max(0, atMs - Date.now()), summary ? { summary } : undefined).then(onFire, (err) => {
    if (!isCancellation(err)) throw err;
  });
}

/**
 * Writes a versioned state's read model up to the current version, one
 * writer at a time: a caller returns once a write at least as new as the
 * state it saw is done. `saved()` is the version last written.
 */
export function createPersister<S extends { version: number }>(options: {
  state: () => S;
  /** The version already stored (a continued run's state), or -1. */
  savedVersion: number;
  write: (snapshot: S) => Promise<unknown>;
  /** After each write, with the snapshot written. */
  written?: (snapshot: S) => void;
}): { persist(): Promise<void>; saved(): number } {
  let saved = options.savedVersion;
  let writing = false;
  return {
    saved: () => saved,
    async persist() {
      const target = options.state().version;
      while (writing && saved < target) await condition(() => !writing || saved >= target);
      if (saved >= target) return;
      writing = true;
      try {
        while (saved < options.state().version) {
          const snapshot = options.state();
          await options.write(snapshot);
          saved = snapshot.version;
          options.written?.(snapshot);
        }
      } finally {
        writing = false;
      }
    },
  };
}

/**
 * Runs handlers one at a time, once `ready()` holds. Every handler waiting on
 * a condition is released in the same activation when the lock frees, so
 * each checks again after waking and only the first takes it (a bare
 * `await condition(() => !busy); busy = true` lets them all through).
 */
export type Lock = <T>(work: () => Promise<T>) => Promise<T>;

export function createLock(ready: () => boolean = () => true): Lock {
  let held = false;
  return async (work) => {
    while (held || !ready()) await condition(() => !held && ready());
    held = true;
    try {
      return await work();
    } finally {
      held = false;
    }
  };
}

/**
 * Before a run ends or continues as new: do the pending work (persist…), let
 * every handler finish, and repeat until nothing is left. The caller
 * continues as new (or returns) right after, with no await in between, so an
 * Update accepted while a write was in flight finishes in this run instead of
 * being cut off.
 */
export async function quiesce(doWork: () => Promise<void>, hasWork: () => boolean): Promise<void> {
  for (;;) {
    await doWork();
    await condition(allHandlersFinished);
    if (!hasWork()) return;
  }
}
