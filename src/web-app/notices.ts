// What the page says after a completed action: the redirect names a key, and
// only these texts are ever shown (nothing from the URL is echoed).
export const NOTICES = {
  'signed-in': 'Signed in.',
  'signed-out': 'Signed out.',
  'checkout-done': 'Back from checkout: your plan shows here as soon as Stripe confirms the payment.',
  'checkout-canceled': 'Checkout canceled: nothing was charged.',
  'change-applied': 'Your plan was changed.',
  'change-scheduled': 'Your plan change is scheduled.',
  'change-payment_pending': 'Your plan change waits for its payment on Stripe.',
  'change-canceled': 'The scheduled plan change was canceled.',
  'top-up-done': 'Back from the top-up: the wallet is credited as soon as Stripe confirms the payment.',
  'top-up-canceled': 'Top-up canceled: nothing was charged.',
  'auto-top-up-saved': 'Auto top-up settings saved.',
  'spend-controls-saved': 'Spend controls saved.',
} as const;

export type NoticeKey = keyof typeof NOTICES;

export function noticeFor(key: unknown): string | undefined {
  return typeof key === 'string' && Object.hasOwn(NOTICES, key) ? NOTICES[key as NoticeKey] : undefined;
}
