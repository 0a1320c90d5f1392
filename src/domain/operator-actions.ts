// Operator actions on a workspace's billing state: extend the grace window
// or end it as forgiven. Pure rules (nowMs is passed in); the workflow's
// Updates call them, record the audit row and persist. The request schemas
// are shared by the API, the CLI and the workflow's validators.
import { z } from 'zod';
import type { WorkspaceState } from './billing-state';
import type { ErrorCode } from './errors';
import { trimmedText } from './schemas';

// Trimmed text as one pattern (trimmedText), so the document states exactly what is accepted.
const reason = trimmedText(3, 500, 'A reason of at least 3 characters is required').describe('Why the operator does this (recorded in the audit trail)');
const requestId = trimmedText(1, 128, 'A requestId is required').describe('Idempotency key of the action: a repeated request with it is recorded once');

const actionShape = { reason, requestId, actor: trimmedText(1, 64, 'actor must be 1 to 64 characters').optional() };
/** Over HTTP the request id may come from the Idempotency-Key header instead (or is drawn at random). */
const bodyShape = {
  ...actionShape,
  requestId: requestId.optional().describe('Idempotency key of the action; default: derived from the Idempotency-Key header, else random'),
};
const extendShape = {
  byMs: z.number().int().positive().max(90 * 86_400_000).optional().describe('Extend by this long from the later of the current end and now'),
  // Bounded by the latest instant a JavaScript Date holds, so the document states the bound and the end is always a valid date.
  untilMs: z.number().int().positive().max(8_640_000_000_000_000).optional().describe('New end (epoch ms)'),
};
const exactlyOneEnd = (r: { byMs?: number; untilMs?: number }) => (r.byMs === undefined) !== (r.untilMs === undefined);
const exactlyOneEndError = { message: 'Give exactly one of byMs and untilMs', path: ['byMs'] };

/** An operator action as the workflow receives it. */
export const operatorActionSchema = z.strictObject(actionShape);
export type OperatorActionRequest = z.infer<typeof operatorActionSchema>;
export const operatorActionBodySchema = z.strictObject(bodyShape);

export const extendGraceRequestSchema = z.strictObject({ ...actionShape, ...extendShape }).refine(exactlyOneEnd, exactlyOneEndError);
export type ExtendGraceRequest = z.infer<typeof extendGraceRequestSchema>;
/** The same rules as extendGraceBodySchema, as one object: its errors name the fields (byMs, reason, …). */
export const extendGraceBodyRulesSchema = z.strictObject({ ...bodyShape, ...extendShape }).refine(exactlyOneEnd, exactlyOneEndError);
/**
 * Over HTTP: exactly one of byMs and untilMs, as a union of two strict objects
 * (the document states it as it is: anyOf). It accepts what
 * extendGraceBodyRulesSchema accepts; a refused body is explained by that one.
 */
export const extendGraceBodySchema = z
  .union([
    z.strictObject({ ...bodyShape, byMs: extendShape.byMs.unwrap() }),
    z.strictObject({ ...bodyShape, untilMs: extendShape.untilMs.unwrap() }),
  ], { error: exactlyOneEndError.message });

export type OperatorDecision = { kind: 'ok'; state: WorkspaceState } | { kind: 'reject'; code: ErrorCode; message: string };

/**
 * Moves the open window's end later. `byMs` counts from the later of the
 * current end and now (so "+3d" on an expired window gives three days from
 * now); `untilMs` must be later than both. An expired window whose new end is
 * in the future is open again (mode back to billing_recovery).
 */
export function extendGrace(state: WorkspaceState, request: Pick<ExtendGraceRequest, 'byMs' | 'untilMs'>, nowMs: number): OperatorDecision {
  const grace = state.grace;
  if (!grace) return { kind: 'reject', code: 'no_grace_window', message: 'The workspace has no grace window to extend.' };
  const endsAt = request.byMs !== undefined ? Math.max(grace.endsAt, nowMs) + request.byMs : (request.untilMs ?? 0);
  if (endsAt <= grace.endsAt || endsAt <= nowMs) {
    return { kind: 'reject', code: 'validation_failed', message: 'The new end must be later than the current end and than now.' };
  }
  return { kind: 'ok', state: { ...state, grace: { ...grace, endsAt, expired: false, extendedAt: nowMs }, version: state.version + 1 } };
}

/**
 * Ends the window as forgiven: no window, no block, for the delinquency known
 * now. The unpaid invoice stays visible (status and payment recovery follow
 * Stripe); delinquency evidence newer than nowMs opens a new window.
 */
export function waiveGrace(state: WorkspaceState, nowMs: number): OperatorDecision {
  if (!state.grace) return { kind: 'reject', code: 'no_grace_window', message: 'The workspace has no grace window to end.' };
  return { kind: 'ok', state: { ...state, grace: null, graceWaivedAt: nowMs, version: state.version + 1 } };
}
