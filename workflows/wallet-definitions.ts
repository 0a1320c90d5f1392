// Messages of the wallet workflow (`wallet/{workspaceId}`), defined once.
// It owns the workspace's money movements after checkout: rating recorded
// usage and debiting the wallet in batches, reporting usage to Stripe,
// crediting paid top-ups and operator grants, and Business spend controls.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TopUpPaidFact } from '../src/domain/billing-facts';
import type { RequestFamily } from '../src/domain/plans';
import type { SpendControls } from '../src/domain/spend-rules';

export const WALLET_WORKFLOW_TYPE = 'walletWorkflow';

export function walletWorkflowIdFor(workspaceId: string): string {
  return `wallet/${workspaceId}`;
}

export interface SpendState {
  month: string;
  spentCents: number;
  /** Thresholds already alerted this month. */
  alerted: number[];
  blocked: boolean;
}

export interface WalletState {
  workspaceId: string;
  controls: SpendControls | null;
  spend: SpendState | null;
  /** Top-ups credited recently (bounded; the ledger's unique source is the real guard). */
  creditedTopUps: string[];
  /** Number of rating passes run: for operators. */
  ratingPasses: number;
  /** The last threshold crossing handled and what came of it (charged: succeeded/processing/failed:<code>; skipped:<reason>). */
  lastAutoTopUp?: { crossingId: string; outcome: string };
  /** Auto top-up charges attempted (for operators). */
  autoTopUpsCharged?: number;
}

export interface WalletWorkflowInput {
  workspaceId: string;
  /** Present only when continuing as new. */
  state?: WalletState;
  /** Paid top-ups received and not credited yet when the previous run continued as new. */
  pendingTopUps?: TopUpPaidFact[];
  /** Auto top-up crossings (debit ledger source ids) not charged yet when the previous run continued as new. */
  pendingAutoTopUps?: string[];
  /** Continue as new once the run's history reaches this many events (tests lower it). Carried across continue-as-new. */
  continueAsNewAfterEvents?: number;
}

export interface GrantCreditRequest {
  amountCents: number;
  reason: string;
  /** The operator's reference for this grant: a repeated request with it grants once. */
  reference: string;
  /** Who sent it (operator-api, ops-cli); recorded in the audit row. */
  actor?: string;
}

/** New usage events were recorded for the workspace: rate and debit them (one signal per batch). */
export const usageRecordedSignal = defineSignal<[]>('usageRecorded');
/** A wallet top-up was paid. */
export const topUpPaidSignal = defineSignal<[TopUpPaidFact]>('topUpPaid');
/** Operator grant of custom credit (Enterprise contracts, goodwill), with a reason. */
export const grantCreditUpdate = defineUpdate<{ credited: boolean; balanceCents: number }, [GrantCreditRequest]>('grantCredit');
/** Set Business spend controls; returns the spend state they produce. */
export const setSpendControlsUpdate = defineUpdate<SpendState, [SpendControls]>('setSpendControls');
/** Enterprise contract prices (cents per 1,000 requests per family); rating uses them from then on. */
export const setContractPricesUpdate = defineUpdate<void, [Partial<Record<RequestFamily, number>>]>('setContractPrices');
export const walletStateQuery = defineQuery<WalletState>('walletState');
