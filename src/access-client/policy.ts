// The embedded access client's decision, pure: the ONE evaluation
// (evaluateAccess, as /access answers) of the snapshot the client holds, by
// the clock, unless the client's state is older than the staleness bound —
// then the gateway's policy answers (fail-closed: deny with a reason;
// fail-open: allow), and says so. No I/O, no clock: the caller passes nowMs.
import type { AccessAnswer, AccessEnvironment, AccessReason } from '../domain/access';
import { evaluateAccess, type AccessSnapshot } from '../domain/access-query';

/** What the gateway wants when the client cannot vouch for its state. */
export type StalePolicy = 'fail-closed' | 'fail-open';

/** The reason a fail-closed answer gives. */
export const STALE_REASON = 'access_state_stale';
export type ClientReason = AccessReason | typeof STALE_REASON;

export interface ClientAnswer {
  allowed: boolean;
  reasons: ClientReason[];
  graceEndsAt?: string;
  /**
   * snapshot: the in-process evaluation; http: GET /access answered (cold
   * start, or a project's first production check); policy: the state is
   * older than the bound (or the engine could not be reached) and the
   * gateway's policy answered.
   */
  source: 'snapshot' | 'http' | 'policy';
  /** For policy answers: how long the client has not heard from the engine (null: never). */
  staleForMs?: number | null;
}

export interface ClientState {
  /** The snapshots from the stream. */
  snapshots: ReadonlyMap<string, AccessSnapshot>;
  /** True once a full resync completed: a workspace absent from `snapshots` has no access inputs at all. */
  complete: boolean;
  /** The engine's wallet minimum (from the stream). */
  walletMinimumCents: number;
  /** When the client last heard from the engine on a live stream (null: never). */
  lastContactAt: number | null;
}

export interface LocalDecision {
  /** The answer, or null when only /access over HTTP can give it. */
  answer: ClientAnswer | null;
  /** Why HTTP is needed: no snapshot of the workspace, or a production project not registered yet. */
  needs?: 'snapshot' | 'registration';
  /** The workspace is not in the snapshots and was evaluated as one with no access inputs (the caller checks its id). */
  unknownWorkspace?: boolean;
}

const EMPTY_PROJECTS: ReadonlyMap<string, number> = new Map();

/** How a workspace with no access inputs at all evaluates (as the engine reads an unknown workspace). */
export const EMPTY_SNAPSHOT: AccessSnapshot = {
  billing: { planId: 'essential', status: 'none', grace: null, invoiceRecoveryAt: null, checkoutExpiresAt: null },
  balanceCents: 0,
  spendControl: null,
  projectRanks: EMPTY_PROJECTS,
  projectCount: 0,
};

export function isStale(state: Pick<ClientState, 'lastContactAt'>, nowMs: number, maxStalenessMs: number): boolean {
  return state.lastContactAt === null || nowMs - state.lastContactAt > maxStalenessMs;
}

/** The gateway's policy's answer, reported as such. */
export function policyAnswer(policy: StalePolicy, lastContactAt: number | null, nowMs: number): ClientAnswer {
  const staleForMs = lastContactAt === null ? null : nowMs - lastContactAt;
  return policy === 'fail-open'
    ? { allowed: true, reasons: [], source: 'policy', staleForMs }
    : { allowed: false, reasons: [STALE_REASON], source: 'policy', staleForMs };
}

function fromSnapshot(answer: AccessAnswer): ClientAnswer {
  return answer.graceEndsAt === undefined
    ? { allowed: answer.allowed, reasons: answer.reasons, source: 'snapshot' }
    : { allowed: answer.allowed, reasons: answer.reasons, graceEndsAt: answer.graceEndsAt, source: 'snapshot' };
}

/**
 * The in-process answer: the same evaluation as /access of the workspace's
 * snapshot at nowMs while the state is within the bound; the policy past it.
 * Null (with `needs`) when only HTTP can answer: the client never had a
 * complete state and has no snapshot of this workspace, or the answer would
 * make the project a production project (registration happens in the engine).
 */
export function decideLocally(
  state: ClientState,
  workspaceId: string,
  projectId: string | undefined,
  environment: AccessEnvironment,
  nowMs: number,
  settings: { maxStalenessMs: number; policy: StalePolicy },
): LocalDecision {
  if (state.lastContactAt === null && !state.complete) return { answer: null, needs: 'snapshot' };
  if (isStale(state, nowMs, settings.maxStalenessMs)) return { answer: policyAnswer(settings.policy, state.lastContactAt, nowMs) };
  const known = state.snapshots.get(workspaceId);
  if (known === undefined && !state.complete) return { answer: null, needs: 'snapshot' };
  const verdict = evaluateAccess(known ?? EMPTY_SNAPSHOT, state.walletMinimumCents, nowMs, projectId, environment);
  if (verdict.needsRegistration) return { answer: null, needs: 'registration', unknownWorkspace: known === undefined };
  return known === undefined ? { answer: fromSnapshot(verdict.answer), unknownWorkspace: true } : { answer: fromSnapshot(verdict.answer) };
}
