// CSRF protection of the app's POST forms: every form carries a token derived
// from the session id (HMAC under the session secret, with its own label), so
// a page on another site cannot submit a form for the visitor's session. The
// session cookie is also SameSite=Lax.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CSRF_FIELD = '_csrf';

export function csrfToken(sessionId: string, secret: string): string {
  return createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');
}

export function verifyCsrfToken(token: unknown, sessionId: string, secret: string): boolean {
  if (typeof token !== 'string' || token.length === 0) return false;
  const expected = Buffer.from(csrfToken(sessionId, secret));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
