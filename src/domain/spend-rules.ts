// Business team spend controls: a monthly cap on rated production spend,
// alert thresholds (each alerted once a month) and what happens at the cap
// ("alert" only, or "block" production until the next month or a raised
// cap). Months are UTC calendar months, keyed "YYYY-MM".
import { z } from 'zod';

export const spendControlsSchema = z.strictObject({
  monthlyCapCents: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  alertThresholdsPercent: z
    .array(z.number().int().min(1).max(100))
    .max(10)
    .refine((list) => new Set(list).size === list.length, 'thresholds must be distinct')
    .meta({ uniqueItems: true }),
  action: z.enum(['alert', 'block']),
});
export type SpendControls = z.infer<typeof spendControlsSchema>;

export function monthKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The first instant of the UTC month after the one containing `ms`. */
export function nextMonthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Thresholds (percent) that `spentCents` has reached, in ascending order. */
export function reachedThresholds(controls: SpendControls, spentCents: number): number[] {
  return [...controls.alertThresholdsPercent]
    .sort((a, b) => a - b)
    .filter((percent) => spentCents * 100 >= controls.monthlyCapCents * percent);
}

export function capBlocks(controls: SpendControls | null, spentCents: number): boolean {
  return controls !== null && controls.action === 'block' && spentCents >= controls.monthlyCapCents;
}
