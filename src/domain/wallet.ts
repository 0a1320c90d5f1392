// The wallet ledger's vocabulary: entry kinds, and the UTC month that spend
// is counted in. Money is integer cents; credits are positive, debits
// negative, and the balance is the sum of the entries.

export const WALLET_ENTRY_KINDS = ['top_up', 'grant', 'usage', 'adjustment'] as const;
export type WalletEntryKind = (typeof WALLET_ENTRY_KINDS)[number];

/** Kinds an operator, a payment or a contract can add to the wallet (usage debits come from rating). */
export const CREDIT_KINDS = ['top_up', 'grant', 'adjustment'] as const;
export type CreditKind = (typeof CREDIT_KINDS)[number];

/** The minimum runtime credit for production traffic unless WALLET_MINIMUM_CENTS says otherwise. */
export const DEFAULT_WALLET_MINIMUM_CENTS = 1000;

/** Source type of the entry that debits one rated batch of usage. */
export const USAGE_BATCH_SOURCE = 'usage_batch';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A spend month, "YYYY-MM" (as spend-rules.ts's monthKey makes them). */
export function isSpendMonth(value: unknown): value is string {
  return typeof value === 'string' && MONTH.test(value);
}

/**
 * Whether an amount may be credited with this kind: top-ups and grants add
 * money; an adjustment corrects the balance either way but is never zero.
 */
export function isValidCreditAmount(kind: CreditKind, amountCents: number): boolean {
  if (!Number.isSafeInteger(amountCents) || amountCents === 0) return false;
  return kind === 'adjustment' || amountCents > 0;
}
