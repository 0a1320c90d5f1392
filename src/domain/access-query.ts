// The gate's question asked of one workspace's access inputs at one instant:
// the ONE evaluation (evaluateWorkspace) applied to a snapshot, with the
// asked-for project's standing. The API's access service (/access) and the
// embedded access client (src/access-client) both answer through this
// function, so an in-process answer is the HTTP answer by construction.
// Pure: the caller passes nowMs and the wallet minimum.
import { accessAnswer, type AccessAnswer, type AccessEnvironment, type SpendBlock } from './access';
import { evaluateWorkspace, type BillingSnapshot } from './billing-evaluation';

/** What the gate needs to know about one workspace (read in one statement from the projection). */
export interface AccessSnapshot {
  /** The recorded billing facts, evaluated at each check's time. */
  billing: BillingSnapshot;
  balanceCents: number;
  spendControl: SpendBlock | null;
  /** Production project id → rank in the order the projects were first allowed. */
  projectRanks: ReadonlyMap<string, number>;
  projectCount: number;
}

export interface AccessVerdict {
  answer: AccessAnswer;
  /**
   * The answer is "allowed" for a production project that is not one of the
   * workspace's production projects yet: it holds only once the project is
   * registered (registerProductionProject), which may find the last place
   * taken (then withProjectLimit(answer)).
   */
  needsRegistration: boolean;
}

export function evaluateAccess(
  s: AccessSnapshot,
  walletMinimumCents: number,
  nowMs: number,
  projectId: string | undefined,
  environment: AccessEnvironment,
): AccessVerdict {
  const rank = projectId === undefined ? undefined : s.projectRanks.get(projectId);
  const evaluation = evaluateWorkspace(
    { billing: s.billing, wallet: { balanceCents: s.balanceCents, minimumCents: walletMinimumCents }, spendControl: s.spendControl },
    nowMs,
    projectId === undefined ? undefined : { rank: rank ?? null, count: s.projectCount },
  );
  const answer = accessAnswer(evaluation, environment);
  const needsRegistration = answer.allowed && environment === 'production' && projectId !== undefined && rank === undefined;
  return { answer, needsRegistration };
}

/** The answer when registering the project found every place taken. */
export function withProjectLimit(answer: AccessAnswer): AccessAnswer {
  const refused: AccessAnswer = { allowed: false, reasons: ['project_limit'] };
  if (answer.graceEndsAt !== undefined) refused.graceEndsAt = answer.graceEndsAt;
  return refused;
}
