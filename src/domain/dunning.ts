// Dunning as data: the ordered stages of a past_due workspace with their
// effects, and one pure evaluation of where a grace window stands at a
// given time. The workflow only arms a timer for `nextAt`.

export interface DunningPolicy {
  gracePeriodMs: number;
  /** Reminder offsets from the start of the window; offsets at or past its end are ignored. */
  reminderOffsetsMs: number[];
}

export interface DunningStage {
  name: 'billing_recovery' | 'enforced_recovery';
  /** Time after the window opened when this stage begins. */
  after: number;
  effects: {
    /** Self-serve plan changes are refused. */
    blockChanges: boolean;
    /** Previews are suppressed and production traffic is hard-blocked. */
    hardBlock: boolean;
  };
}

export interface GraceWindow {
  startedAt: number;
  endsAt: number;
  expired: boolean;
  /** Reminder offsets already sent for this window. */
  remindersSent: number[];
  /** Set when an operator moved the end (workflow time): later evidence keeps the operator's end. */
  extendedAt?: number;
}

export function dunningStages(policy: DunningPolicy): DunningStage[] {
  return [
    { name: 'billing_recovery', after: 0, effects: { blockChanges: true, hardBlock: false } },
    { name: 'enforced_recovery', after: policy.gracePeriodMs, effects: { blockChanges: true, hardBlock: true } },
  ];
}

export function openGrace(startedAt: number, policy: DunningPolicy): GraceWindow {
  return { startedAt, endsAt: startedAt + policy.gracePeriodMs, expired: false, remindersSent: [] };
}

export interface DunningEvaluation {
  stage: DunningStage;
  /** Reminder offsets due at nowMs and not sent yet. */
  dueReminders: number[];
  /**
   * The next time something changes (a reminder or the next stage); null when
   * nothing is left. At or before nowMs when the window's end has passed and
   * it still has to be marked expired.
   */
  nextAt: number | null;
}

/**
 * Where a window stands at nowMs. Stage times are measured from the
 * recorded absolute timestamps, never from when a run started, so a window
 * that spans a continue-as-new or a worker restart still ends on time.
 */
export function evaluateDunning(grace: GraceWindow, policy: DunningPolicy, nowMs: number): DunningEvaluation {
  const stages = dunningStages(policy);
  const elapsed = nowMs - grace.startedAt;
  const windowLength = grace.endsAt - grace.startedAt;
  const stageAt = (s: DunningStage) => (s.name === 'enforced_recovery' ? grace.endsAt : grace.startedAt + s.after);
  const reached = stages.filter((s) => nowMs >= stageAt(s));
  const stage = grace.expired ? stages[stages.length - 1] : (reached[reached.length - 1] ?? stages[0]);
  const reminders = [...new Set(policy.reminderOffsetsMs)].filter((o) => o >= 0 && o < windowLength).sort((a, b) => a - b);
  const unsent = reminders.filter((o) => !grace.remindersSent.includes(o));
  const dueReminders = grace.expired ? [] : unsent.filter((o) => o <= elapsed);
  const upcoming = [
    ...unsent.filter((o) => o > elapsed).map((o) => grace.startedAt + o),
    ...stages.map(stageAt).filter((t) => t > nowMs),
    // The end has passed but the window is not marked expired yet: the expiry is due now.
    ...(nowMs >= grace.endsAt ? [grace.endsAt] : []),
  ];
  const nextAt = grace.expired ? null : upcoming.length ? Math.min(...upcoming) : null;
  return { stage, dueReminders, nextAt };
}
