// Every message handler of the workspace workflow, registered in one place:
// each Update's synchronous validator (a bad or refused request never
// reaches history) and the handler, which runs under the entity's one lock.
// Registered before the workflow's first await: update-with-start and
// signal-with-start deliver in the very first workflow task.
import { setHandler } from '@temporalio/workflow';
import { decideCheckout } from '../src/domain/checkout-rules';
import { extendGrace, extendGraceRequestSchema, operatorActionSchema, waiveGrace } from '../src/domain/operator-actions';
import {
  checkoutCommandSchema,
  guestAttachmentSchema,
  invoicingCommandSchema,
  planChangeCommandSchema,
  planChangePreviewRequestSchema,
  requestIdSchema,
  topUpCommandSchema,
} from '../src/domain/schemas';
import { attachGuestCheckout, decidedAttach } from './guest-attach-handler';
import { startCheckout, startTopUp } from './checkout-handlers';
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
  stateQuery,
  stripeFactSignal,
} from './definitions';
import {
  alreadyApplied,
  cancelScheduledChangeAction,
  checkInvoicingAllowed,
  decidedOperator,
  endGraceAction,
  extendGraceAction,
  resyncAction,
  setInvoicingControls,
} from './operator-handlers';
import { applyPlanChange, cancelPendingChange, decided, previewPlanChange } from './plan-change-handlers';
import type { WorkspaceEntity } from './workspace-entity';
import { parseOrReject, reject } from './workflow-support';

const OPERATOR_REQUEST_INVALID = 'The operator request is invalid: a reason (at least 3 characters) and a requestId are required.';
const previewCommandSchema = planChangePreviewRequestSchema.extend({ requestId: requestIdSchema.optional() });

export function registerWorkspaceHandlers(entity: WorkspaceEntity): void {
  setHandler(stateQuery, () => entity.state);
  setHandler(stripeFactSignal, (fact) => entity.receiveFact(fact));

  setHandler(startCheckoutUpdate, (request) => entity.exclusive(() => startCheckout(entity, request), 'setup'), {
    validator(request) {
      const checkout = parseOrReject(checkoutCommandSchema, request, 'The checkout request is invalid.');
      const decision = decideCheckout(entity.state, checkout, Date.now());
      // sales_assisted is refused by the handler, after it records the sales lead.
      if (decision.kind === 'reject' && decision.code !== 'sales_assisted') reject(decision.code, decision.message, decision.details);
    },
  });
  setHandler(startTopUpUpdate, (request) => entity.exclusive(() => startTopUp(entity, request), 'setup'), {
    validator(request) {
      parseOrReject(topUpCommandSchema, request, 'The top-up request is invalid.');
    },
  });
  setHandler(attachGuestCheckoutUpdate, (attachment) => entity.exclusive(() => attachGuestCheckout(entity, attachment), 'setup'), {
    validator(attachment) {
      parseOrReject(guestAttachmentSchema, attachment, 'The guest attachment is invalid.');
      decidedAttach(entity, attachment);
    },
  });

  setHandler(previewPlanChangeUpdate, (request) => entity.exclusive(() => previewPlanChange(entity, request), 'plan'), {
    validator: (request) => void decided(entity, parseOrReject(previewCommandSchema, request, 'The plan change request is invalid.'), 'preview'),
  });
  setHandler(applyPlanChangeUpdate, (request) => entity.exclusive(() => applyPlanChange(entity, request), 'plan'), {
    validator: (request) => void decided(entity, parseOrReject(planChangeCommandSchema, request, 'The plan change request is invalid.'), 'apply'),
  });
  setHandler(cancelPendingChangeUpdate, () => entity.exclusive(() => cancelPendingChange(entity), 'plan'), {
    validator() {
      if (!entity.state.pendingChange) reject('no_pending_change', 'There is no scheduled plan change to cancel.');
    },
  });

  setHandler(extendGraceUpdate, (request) => entity.exclusive(() => extendGraceAction(entity, request), 'operator'), {
    validator(request) {
      const parsed = parseOrReject(extendGraceRequestSchema, request ?? {}, OPERATOR_REQUEST_INVALID);
      if (!alreadyApplied(entity, parsed.requestId)) decidedOperator(extendGrace(entity.state, parsed, Date.now()));
    },
  });
  setHandler(endGraceUpdate, (request) => entity.exclusive(() => endGraceAction(entity, request), 'operator'), {
    validator(request) {
      const parsed = parseOrReject(operatorActionSchema, request ?? {}, OPERATOR_REQUEST_INVALID);
      if (!alreadyApplied(entity, parsed.requestId)) decidedOperator(waiveGrace(entity.state, Date.now()));
    },
  });
  setHandler(cancelScheduledChangeUpdate, (request) => entity.exclusive(() => cancelScheduledChangeAction(entity, request), 'operator'), {
    validator(request) {
      const parsed = parseOrReject(operatorActionSchema, request ?? {}, OPERATOR_REQUEST_INVALID);
      if (!alreadyApplied(entity, parsed.requestId) && !entity.state.pendingChange) reject('no_pending_change', 'There is no scheduled plan change to cancel.');
    },
  });
  setHandler(resyncFromStripeUpdate, (request) => entity.exclusive(() => resyncAction(entity, request), 'operator'), {
    validator(request) {
      const parsed = parseOrReject(operatorActionSchema, request ?? {}, OPERATOR_REQUEST_INVALID);
      if (!alreadyApplied(entity, parsed.requestId) && !entity.state.subscription) reject('no_active_subscription', 'The workspace has no Stripe subscription to resync.');
    },
  });
  setHandler(setInvoicingControlsUpdate, (command) => entity.exclusive(() => setInvoicingControls(entity, command), null), {
    validator(command) {
      if (!invoicingCommandSchema.safeParse(command).success) reject('validation_failed', 'Invoicing controls are invalid.');
      checkInvoicingAllowed(entity);
    },
  });
}
