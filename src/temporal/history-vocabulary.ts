// The names the timeline reads workflow histories by, taken from the message
// definitions (never spelled twice) and from the activities' own names
// (checked against the Activities type at compile time).
import type { Activities } from '../../activities';
import type { HistoryVocabulary } from '../domain/timeline/history-records';
import {
  applyPlanChangeUpdate,
  attachGuestCheckoutUpdate,
  cancelPendingChangeUpdate,
  cancelScheduledChangeUpdate,
  endGraceUpdate,
  extendGraceUpdate,
  previewPlanChangeUpdate,
  resyncFromStripeUpdate,
  setInvoicingControlsUpdate,
  startCheckoutUpdate,
  startTopUpUpdate,
  stripeFactSignal,
} from '../../workflows/definitions';
import { grantCreditUpdate, setContractPricesUpdate, setSpendControlsUpdate, topUpPaidSignal } from '../../workflows/wallet-definitions';

/** An activity's type name as it appears in histories: its key in createActivities(). */
const activity = <K extends keyof Activities>(name: K): K => name;

export const HISTORY_VOCABULARY: HistoryVocabulary = {
  signals: { stripeFact: stripeFactSignal.name, topUpPaid: topUpPaidSignal.name },
  updates: {
    startCheckout: startCheckoutUpdate.name,
    previewPlanChange: previewPlanChangeUpdate.name,
    applyPlanChange: applyPlanChangeUpdate.name,
    cancelPendingChange: cancelPendingChangeUpdate.name,
    startTopUp: startTopUpUpdate.name,
    setInvoicingControls: setInvoicingControlsUpdate.name,
    extendGrace: extendGraceUpdate.name,
    endGrace: endGraceUpdate.name,
    cancelScheduledChange: cancelScheduledChangeUpdate.name,
    resyncFromStripe: resyncFromStripeUpdate.name,
    attachGuestCheckout: attachGuestCheckoutUpdate.name,
    grantCredit: grantCreditUpdate.name,
    setSpendControls: setSpendControlsUpdate.name,
    setContractPrices: setContractPricesUpdate.name,
  },
  activities: {
    saveBillingProjection: activity('saveBillingProjection'),
    recordDunningReminder: activity('recordDunningReminder'),
    recordSalesLead: activity('recordSalesLead'),
    applyPlanChange: activity('applyPlanChange'),
    readStripeSubscriptionFacts: activity('readStripeSubscriptionFacts'),
    creditWallet: activity('creditWallet'),
    recordSpendAlert: activity('recordSpendAlert'),
    setSpendBlock: activity('setSpendBlock'),
  },
};
