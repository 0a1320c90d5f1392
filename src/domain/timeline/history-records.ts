// A workflow history as the timeline reads it: plain, decoded records (the
// Temporal client's reader in src/temporal/workflow-history.ts builds them
// from the history events), so the translation into timeline entries is pure
// and testable without a server. Only what the timeline needs is kept;
// anything else is an `other` record and is skipped.

export type HistoryOutcome = { ok: true; result: unknown } | { ok: false; code: string | null; message: string };

interface RecordBase {
  /** The history event the record points at (for updates: the acceptance). */
  eventId: number;
  atMs: number;
}

export type HistoryRecord =
  | (RecordBase & { type: 'started'; input: unknown; previousRunId: string | null })
  | (RecordBase & { type: 'signal'; name: string; args: unknown[] })
  /** An accepted Update with its outcome (null while it has not completed). */
  | (RecordBase & { type: 'update'; name: string; args: unknown[]; outcome: HistoryOutcome | null })
  /** A completed or failed activity (at the time it completed or failed), with its input. */
  | (RecordBase & { type: 'activity'; name: string; input: unknown[]; outcome: HistoryOutcome })
  /** A timer that fired; `summary` is the name the workflow gave it (null for unnamed timers). */
  | (RecordBase & { type: 'timer'; summary: string | null })
  | (RecordBase & { type: 'continued_as_new'; nextRunId: string | null })
  | (RecordBase & { type: 'other'; eventType: string });

export interface HistoryRun {
  runId: string;
  records: HistoryRecord[];
}

/** One workflow's runs, oldest first, as far back as they were read. */
export interface WorkflowHistory {
  workflowId: string;
  runs: HistoryRun[];
  /** False when older runs exist that were not read (the reader's bound). */
  complete: boolean;
}

/**
 * The names the timeline reads histories by. The Temporal side fills them in
 * from the message definitions (workflows/definitions.ts,
 * workflows/wallet-definitions.ts) and the activity names, so no name is
 * spelled twice; a name not listed here is skipped.
 */
export interface HistoryVocabulary {
  signals: { stripeFact: string; topUpPaid: string };
  updates: {
    startCheckout: string;
    previewPlanChange: string;
    applyPlanChange: string;
    cancelPendingChange: string;
    startTopUp: string;
    setInvoicingControls: string;
    extendGrace: string;
    endGrace: string;
    cancelScheduledChange: string;
    resyncFromStripe: string;
    attachGuestCheckout: string;
    grantCredit: string;
    setSpendControls: string;
    setContractPrices: string;
  };
  activities: {
    saveBillingProjection: string;
    recordDunningReminder: string;
    recordSalesLead: string;
    applyPlanChange: string;
    readStripeSubscriptionFacts: string;
    creditWallet: string;
    recordSpendAlert: string;
    setSpendBlock: string;
  };
}
