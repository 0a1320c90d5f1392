// Business billing oversight: what GET /v1/workspaces/{id}/spend-controls
// answers, built from the rows the wallet workflow's activities keep
// (spend_control, monthly_spend, spend_alert). Pure: the month and "does the
// cap block" are judged at the nowMs passed in, by the gate's own rule.
import { z } from 'zod';
import { spendCapBlocks } from './access';
import { PLAN_IDS, type PlanId } from './plans';
import { monthKey, type SpendControls } from './spend-rules';

const isoDate = z.iso.datetime({ offset: true });

export const spendOversightSchema = z.object({
  workspaceId: z.string(),
  planId: z.enum(PLAN_IDS),
  available: z.boolean().describe('Spend controls are part of the Business plan'),
  controls: z
    .object({
      monthlyCapCents: z.number().int(),
      alertThresholdsPercent: z.array(z.number().int()),
      action: z.enum(['alert', 'block']),
    })
    .nullable()
    .describe('null: no controls were ever set for this workspace (no cap, no alerts)'),
  month: z.string().describe('The current UTC month, YYYY-MM'),
  spentCents: z.number().int().describe("This month's rated production spend"),
  remainingCents: z.number().int().nullable().describe('Cap minus spend (negative past the cap); null without controls'),
  alerts: z
    .array(z.object({ thresholdPercent: z.number().int(), reachedAt: isoDate, spentCents: z.number().int(), capCents: z.number().int() }))
    .describe("This month's alerts, in the order they fired"),
  capBlocks: z.boolean().describe('Whether the cap blocks production traffic right now (what /access answers as spend_cap_reached)'),
});
export type SpendOversight = z.infer<typeof spendOversightSchema>;

export interface SpendOversightInput {
  workspaceId: string;
  planId: PlanId;
  controls: (SpendControls & { blockedMonth: string | null }) | null;
  /** Spend of monthKey(nowMs). */
  spentCents: number;
  /** Alerts of monthKey(nowMs). */
  alerts: { thresholdPercent: number; reachedAt: number; spentCents: number; capCents: number }[];
}

export function spendOversight(input: SpendOversightInput, nowMs: number): SpendOversight {
  const c = input.controls;
  return {
    workspaceId: input.workspaceId,
    planId: input.planId,
    available: input.planId === 'business',
    controls: c ? { monthlyCapCents: c.monthlyCapCents, alertThresholdsPercent: [...c.alertThresholdsPercent].sort((a, b) => a - b), action: c.action } : null,
    month: monthKey(nowMs),
    spentCents: input.spentCents,
    remainingCents: c ? c.monthlyCapCents - input.spentCents : null,
    alerts: [...input.alerts]
      .sort((a, b) => a.reachedAt - b.reachedAt || a.thresholdPercent - b.thresholdPercent)
      .map((a) => ({ thresholdPercent: a.thresholdPercent, reachedAt: new Date(a.reachedAt).toISOString(), spentCents: a.spentCents, capCents: a.capCents })),
    capBlocks: c !== null && spendCapBlocks(input.planId, { action: c.action, blockedMonth: c.blockedMonth }, nowMs),
  };
}
