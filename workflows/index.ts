// The worker's workflow bundle entry point.
export { walletWorkflow } from './wallet-workflow';
export { workspaceWorkflow } from './workspace-workflow';
export { reconciliationWorkflow } from './reconciliation-workflow';
export { guestCheckoutWorkflow } from './guest-checkout-workflow';
