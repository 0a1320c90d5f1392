// The workspace's billing entity inside its workflow: one state object
// (plain JSON, carried across continue-as-new), the one lock every mutating
// handler takes, the projection writer, and the timers the state implies.
// The handler modules (checkout-handlers.ts, plan-change-handlers.ts,
// operator-handlers.ts, guest-attach-handler.ts) act on it and re-read
// `entity.state` after every await; workspace-workflow.ts registers them and
// runs the main loop. Deterministic code only.
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { EngineSettings, RunContext } from '../activities';
import type { BillingFact } from '../src/domain/billing-facts';
import {
  applyBillingFact,
  expireCheckoutIfDue,
  expireGraceIfDue,
  initialState,
  markRemindersSent,
  normalizeState,
  restoreState,
  type OpenCheckout,
  type WorkspaceState,
} from '../src/domain/billing-state';
import { evaluateDunning, type DunningPolicy } from '../src/domain/dunning';
import { untaggedStripeIds } from '../src/domain/guest-attach';
import { settlePendingChange } from '../src/domain/plan-change-rules';
import { toProjection } from '../src/domain/projection';
import { summarizeState } from '../src/domain/state-summary';
import { searchAttributes, type WorkspaceWorkflowInput } from './definitions';
import { createLock, createPersister, durable, fireAt, type Lock } from './workflow-support';

/**
 * The locks of workflows started before the one-lock entity (patch
 * `workspace-entity-v2`): they keep running with the locks they started
 * with until their next continue-as-new, so their histories replay.
 */
export type LegacyLockGroup = 'setup' | 'plan' | 'operator';

export class WorkspaceEntity {
  state: WorkspaceState;
  settings: EngineSettings | undefined;
  /** A reminder or the window's end is due: the main loop runs dunning. */
  dunningDue = false;
  readonly workspaceId: string;
  readonly workflowId: string;
  private readonly earlyFacts: BillingFact[] = [];
  private readonly armedDunningTimes = new Set<number>();
  private publishedAttributes = '';
  private readonly projection: ReturnType<typeof createPersister<WorkspaceState>>;
  private readonly lock: Lock;
  private readonly legacyLocks: Record<LegacyLockGroup, Lock> | null;

  constructor(input: WorkspaceWorkflowInput, oneLock: boolean) {
    this.workspaceId = input.workspaceId;
    this.workflowId = workflowInfo().workflowId;
    this.state = input.state ? normalizeState(input.state) : initialState(input.workspaceId);
    const ready = () => this.settings !== undefined;
    this.lock = createLock(ready);
    this.legacyLocks = oneLock ? null : { setup: createLock(ready), plan: createLock(ready), operator: createLock(ready) };
    this.projection = createPersister({
      state: () => this.state,
      savedVersion: input.state ? this.state.version : -1,
      write: (snapshot) => durable.saveBillingProjection(toProjection(snapshot)),
      written: (snapshot) => this.publish(snapshot),
    });
  }

  /**
   * Runs a mutating handler alone: one lock for the whole entity, taken once
   * the run's settings are loaded. Work inside never takes the lock again.
   * (Runs started before the one-lock entity take their old group locks.)
   */
  exclusive<T>(work: () => Promise<T>, legacyGroup: LegacyLockGroup | null): Promise<T> {
    if (!this.legacyLocks) return this.lock(work);
    return legacyGroup ? this.legacyLocks[legacyGroup](work) : work();
  }

  /**
   * Work inside a handler that already holds the entity's lock; runs started
   * before the one-lock entity took a second group lock here (an operator's
   * cancellation of the scheduled change took the plan-change lock).
   */
  nested<T>(work: () => Promise<T>, legacyGroup: LegacyLockGroup): Promise<T> {
    return this.legacyLocks ? this.legacyLocks[legacyGroup](work) : work();
  }

  policy(): DunningPolicy {
    return { gracePeriodMs: this.settings!.gracePeriodMs, reminderOffsetsMs: this.settings!.dunningReminderOffsetsMs };
  }

  /** Writes the projection up to the current version (one writer at a time). */
  persist(): Promise<void> {
    return this.projection.persist();
  }

  /** Whether the main loop has something to do. */
  hasWork(): boolean {
    return this.state.version !== this.projection.saved() || this.dunningDue || untaggedStripeIds(this.state) !== null;
  }

  /** A Stripe fact from the signal: applied at once, or after the run's settings are loaded. */
  receiveFact(fact: BillingFact): void {
    if (this.settings) this.applyFact(fact);
    else this.earlyFacts.push(fact);
  }

  applyFact(fact: BillingFact): void {
    this.state = settlePendingChange(applyBillingFact(this.state, fact, this.policy()));
    this.armDunning();
  }

  /**
   * The run's context is loaded: apply what waited for it. A run started
   * afresh over a stored projection (the workflow was terminated and started
   * again) continues from the state that projection recorded, so neither the
   * customer's plan nor its ids start over.
   */
  begin(context: RunContext, fresh: boolean): void {
    this.settings = context.settings;
    if (fresh && context.storedState) this.state = restoreState(this.workspaceId, context.storedState);
    if (fresh && context.storedProjectionVersion > this.state.version) {
      this.state = { ...this.state, version: this.state.version + context.storedProjectionVersion };
    }
    this.earlyFacts.splice(0).forEach((fact) => this.applyFact(fact));
  }

  /** The Web UI's current details (no history event) and, when they change, the search attributes. */
  publish(snapshot: WorkspaceState = this.state): void {
    setCurrentDetails(summarizeState(snapshot).text);
    const p = toProjection(snapshot);
    const key = `${p.planId}|${p.status}|${p.mode}|${p.grace?.endsAt ?? ''}`;
    if (key === this.publishedAttributes) return;
    this.publishedAttributes = key;
    upsertSearchAttributes([
      { key: searchAttributes.workspaceId, value: this.workspaceId },
      { key: searchAttributes.planId, value: p.planId },
      { key: searchAttributes.billingStatus, value: p.status },
      { key: searchAttributes.billingMode, value: p.mode },
      { key: searchAttributes.graceEndsAt, value: p.grace ? new Date(p.grace.endsAt) : null },
    ]);
  }

  armCheckoutExpiry(checkout: OpenCheckout): void {
    fireAt(
      checkout.expiresAt,
      () => {
        this.state = expireCheckoutIfDue(this.state, checkout.id, Date.now());
      },
      `checkout ${checkout.id} expires`,
    );
  }

  /** Arms a timer for the grace window's next step (a reminder or its end). */
  armDunning(): void {
    const grace = this.state.grace;
    if (!grace || !this.settings) return;
    const { nextAt, dueReminders } = evaluateDunning(grace, this.policy(), Date.now());
    if (dueReminders.length > 0 || (nextAt !== null && nextAt <= Date.now())) this.dunningDue = true;
    if (nextAt === null || this.armedDunningTimes.has(nextAt)) return;
    this.armedDunningTimes.add(nextAt);
    const step = nextAt >= grace.endsAt ? 'grace window ends (enforced recovery)' : 'dunning reminder due';
    fireAt(
      nextAt,
      () => {
        this.armedDunningTimes.delete(nextAt);
        this.dunningDue = true;
      },
      step,
    );
  }

  /** Expires the window at its end and records the reminders that are due, each once. */
  async runDunning(): Promise<void> {
    this.dunningDue = false;
    this.state = expireGraceIfDue(this.state, Date.now());
    const grace = this.state.grace;
    if (grace) {
      const { dueReminders } = evaluateDunning(grace, this.policy(), Date.now());
      for (const offsetMs of dueReminders) {
        const unpaid = toProjection(this.state).unpaidInvoice;
        await durable.recordDunningReminder({
          workspaceId: this.workspaceId,
          graceStartedAt: grace.startedAt,
          graceEndsAt: grace.endsAt,
          offsetMs,
          invoice: unpaid,
        });
        this.state = markRemindersSent(this.state, [offsetMs]);
      }
    }
    this.armDunning();
  }
}
