// Reading the app's forms: typed dollars become integer cents and lists
// become arrays; anything else is passed to the API as typed, and the API's
// own validation (problem+json) answers for the rules. A form that cannot
// even be read is answered here, before any call.
import { parseUsdToCents } from './format';
import type { FormError } from './views/components';

export type FormValues = Record<string, string>;
export type Parsed<T> = { ok: true; body: T } | { ok: false; error: FormError };

/** The string fields of a urlencoded body (anything else, e.g. repeated fields, is dropped). */
export function formValues(body: unknown): FormValues {
  const out: FormValues = {};
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string' && k !== '_csrf') out[k] = v;
  }
  return out;
}

function invalid(form: string, values: FormValues, fields: Record<string, string>): Parsed<never> {
  return { ok: false, error: { form, message: 'Please correct the marked fields.', fields, values } };
}

const AMOUNT_HINT = 'Enter an amount in dollars, e.g. 25 or 25.50';

function amount(values: FormValues, name: string, fields: Record<string, string>): number {
  const cents = parseUsdToCents(values[name] ?? '');
  if (cents === null) fields[name] = AMOUNT_HINT;
  return cents ?? 0;
}

export function readSignIn(values: FormValues): Parsed<{ workspaceId: string }> {
  const workspaceId = (values.workspaceId ?? '').trim();
  if (!workspaceId) return invalid('sign-in', values, { workspaceId: 'Enter a workspace id' });
  return { ok: true, body: { workspaceId } };
}

export function readGuestCheckout(values: FormValues): Parsed<{ email: string; planId: string; interval: string }> {
  const email = (values.email ?? '').trim();
  if (!email) return invalid('guest-checkout', values, { email: 'Enter your email address' });
  return { ok: true, body: { email, planId: values.planId ?? '', interval: values.interval ?? '' } };
}

export function readTopUp(values: FormValues): Parsed<{ amountCents: number }> {
  const fields: Record<string, string> = {};
  const amountCents = amount(values, 'amount', fields);
  return Object.keys(fields).length ? invalid('top-up', values, fields) : { ok: true, body: { amountCents } };
}

export function readAutoTopUp(values: FormValues): Parsed<{ thresholdCents: number; amountCents: number; enabled: boolean }> {
  const fields: Record<string, string> = {};
  const thresholdCents = amount(values, 'threshold', fields);
  const amountCents = amount(values, 'amount', fields);
  if (Object.keys(fields).length) return invalid('auto-top-up', values, fields);
  return { ok: true, body: { thresholdCents, amountCents, enabled: values.enabled === 'on' } };
}

export function readSpendControls(values: FormValues): Parsed<{ monthlyCapCents: number; alertThresholdsPercent: number[]; action: string }> {
  const fields: Record<string, string> = {};
  const monthlyCapCents = amount(values, 'cap', fields);
  const parts = (values.thresholds ?? '')
    .split(',')
    .map((p) => p.trim().replace(/%$/, ''))
    .filter(Boolean);
  if (parts.some((p) => !/^\d{1,3}$/.test(p))) fields.thresholds = 'Enter whole percentages separated by commas, e.g. 50, 80, 100';
  if (Object.keys(fields).length) return invalid('spend-controls', values, fields);
  return { ok: true, body: { monthlyCapCents, alertThresholdsPercent: parts.map(Number), action: values.action ?? '' } };
}

export function readPlanChange(values: FormValues): Parsed<{ targetPlanId: string; interval: string; timing?: string; prorationDate?: number }> {
  const body: { targetPlanId: string; interval: string; timing?: string; prorationDate?: number } = {
    targetPlanId: values.targetPlanId ?? '',
    interval: values.interval ?? '',
  };
  if (values.timing) body.timing = values.timing;
  if (values.prorationDate) {
    if (!/^\d{1,12}$/.test(values.prorationDate)) return invalid('plan-change', values, { prorationDate: 'The preview is out of date: preview the change again' });
    body.prorationDate = Number(values.prorationDate);
  }
  return { ok: true, body };
}
