// The web app's session: a signed, httpOnly cookie holding a random session
// id, the signed-in workspace (null for a visitor) and an expiry. Signed with
// HMAC-SHA256 under WEB_APP_SESSION_SECRET; a cookie whose signature, shape or
// expiry does not hold is ignored (the visitor gets a fresh session). Nothing
// secret is in it: the app token stays on the server.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const SESSION_COOKIE = 'billing_app_session';
/** How long a session lasts from its creation. */
export const SESSION_TTL_MS = 12 * 3_600_000;

const sessionSchema = z.strictObject({
  sid: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  workspaceId: z.string().min(1).max(128).nullable(),
  exp: z.number().int().positive(),
});
export type Session = z.infer<typeof sessionSchema>;

const VERSION = 'v1';

function mac(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

export function newSession(nowMs: number, workspaceId: string | null = null): Session {
  return { sid: randomBytes(18).toString('base64url'), workspaceId, exp: nowMs + SESSION_TTL_MS };
}

/** The cookie value: `v1.<payload>.<signature>`, all base64url. */
export function signSession(session: Session, secret: string): string {
  const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
  return `${VERSION}.${payload}.${mac(secret, `${VERSION}.${payload}`)}`;
}

/** The session in a cookie value, or null when it is forged, malformed or expired. */
export function verifySession(value: string | undefined, secret: string, nowMs: number): Session | null {
  if (!value) return null;
  const parts = value.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return null;
  const expected = Buffer.from(mac(secret, `${parts[0]}.${parts[1]}`));
  const given = Buffer.from(parts[2]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const session = sessionSchema.safeParse(decoded);
  if (!session.success || session.data.exp <= nowMs) return null;
  return session.data;
}

/** The Set-Cookie header value for a session (Path=/app, HttpOnly, SameSite=Lax, Secure over https). */
export function sessionCookie(value: string, options: { secure: boolean; maxAgeMs?: number }): string {
  const maxAge = Math.floor((options.maxAgeMs ?? SESSION_TTL_MS) / 1000);
  return [`${SESSION_COOKIE}=${value}`, 'Path=/app', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAge}`, ...(options.secure ? ['Secure'] : [])].join('; ');
}

/** One cookie's value from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
