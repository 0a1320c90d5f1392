// The web app's small helpers: HTML escaping, signed session cookies, CSRF
// tokens, money formatting and the reading of typed amounts.
import { createHmac } from 'node:crypto';
import { csrfToken, verifyCsrfToken } from '../../src/web-app/csrf';
import { countdown, formatUsd, formatUsdDelta, parseUsdToCents } from '../../src/web-app/format';
import { readAutoTopUp, readSpendControls } from '../../src/web-app/forms';
import { escapeHtml, html, raw } from '../../src/web-app/html';
import { newSession, readCookie, sessionCookie, signSession, SESSION_TTL_MS, verifySession } from '../../src/web-app/session';

const SECRET = 'a-web-app-session-secret-of-32-chars!';
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

describe('html', () => {
  test('escapes every interpolated string, in content and in attributes', () => {
    const evil = `<script>alert("x")</script>' onmouseover='x' \`&`;
    const out = html`<p title="${evil}">${evil}</p>`.text;
    expect(out).toBe(`<p title="${escapeHtml(evil)}">${escapeHtml(evil)}</p>`);
    expect(out).not.toMatch(/<script>/);
    expect(escapeHtml(`<>&"'\``)).toBe('&lt;&gt;&amp;&quot;&#39;&#96;');
  });

  test('nests markup without escaping it twice; arrays join; null, undefined and booleans render nothing', () => {
    const items = ['a<b', 'c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${true}${0}`.text).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0');
    expect(html`${raw('<br>')}`.text).toBe('<br>');
  });
});

describe('session cookie', () => {
  test('round-trips a signed session', () => {
    const session = newSession(NOW, 'ws-1');
    expect(verifySession(signSession(session, SECRET), SECRET, NOW + 1000)).toEqual(session);
    expect(session.exp).toBe(NOW + SESSION_TTL_MS);
  });

  test('refuses a forged, altered, foreign-secret, malformed or expired cookie', () => {
    const session = newSession(NOW, 'ws-1');
    const value = signSession(session, SECRET);
    const [v, payload, mac] = value.split('.');
    const altered = Buffer.from(JSON.stringify({ ...session, workspaceId: 'ws-other' })).toString('base64url');
    expect(verifySession(`${v}.${altered}.${mac}`, SECRET, NOW)).toBeNull();
    expect(verifySession(`${v}.${payload}.${mac.slice(0, -2)}AA`, SECRET, NOW)).toBeNull();
    expect(verifySession(signSession(session, 'another-secret-also-32-characters!!'), SECRET, NOW)).toBeNull();
    expect(verifySession('v1.notjson.x', SECRET, NOW)).toBeNull();
    expect(verifySession('garbage', SECRET, NOW)).toBeNull();
    expect(verifySession(undefined, SECRET, NOW)).toBeNull();
    expect(verifySession(value, SECRET, session.exp)).toBeNull();
    // A well-signed payload of the wrong shape.
    const wrong = Buffer.from(JSON.stringify({ sid: 'x', workspaceId: 1, exp: NOW + 1 })).toString('base64url');
    const signed = `v1.${wrong}.${createHmac('sha256', SECRET).update(`v1.${wrong}`).digest('base64url')}`;
    expect(verifySession(signed, SECRET, NOW)).toBeNull();
  });

  test('the cookie is httpOnly, SameSite=Lax, scoped to /app, Secure over https', () => {
    expect(sessionCookie('v', { secure: false })).toBe(`billing_app_session=v; Path=/app; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}`);
    expect(sessionCookie('v', { secure: true })).toMatch(/; Secure$/);
    expect(readCookie('a=1; billing_app_session=v1.x.y; b=2', 'billing_app_session')).toBe('v1.x.y');
    expect(readCookie('a=1', 'billing_app_session')).toBeUndefined();
  });

  test('every session gets its own random id', () => {
    expect(newSession(NOW).sid).not.toBe(newSession(NOW).sid);
  });
});

describe('CSRF token', () => {
  test('is tied to the session id and the secret', () => {
    const token = csrfToken('sid-aaaaaaaaaaaaaaaa', SECRET);
    expect(verifyCsrfToken(token, 'sid-aaaaaaaaaaaaaaaa', SECRET)).toBe(true);
    expect(verifyCsrfToken(token, 'sid-bbbbbbbbbbbbbbbb', SECRET)).toBe(false);
    expect(verifyCsrfToken(token, 'sid-aaaaaaaaaaaaaaaa', 'another-secret-also-32-characters!!')).toBe(false);
    expect(verifyCsrfToken('', 'sid-aaaaaaaaaaaaaaaa', SECRET)).toBe(false);
    expect(verifyCsrfToken(undefined, 'sid-aaaaaaaaaaaaaaaa', SECRET)).toBe(false);
    expect(verifyCsrfToken(`${token}x`, 'sid-aaaaaaaaaaaaaaaa', SECRET)).toBe(false);
  });
});

describe('money and time', () => {
  test('formats integer cents as dollars', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(2900)).toBe('$29.00');
    expect(formatUsd(499000)).toBe('$4,990.00');
    expect(formatUsd(-305)).toBe('−$3.05');
    expect(formatUsdDelta(7000)).toBe('+$70.00');
    expect(formatUsdDelta(-7000)).toBe('−$70.00');
  });

  test('reads typed dollars as exact cents, and refuses what is not an amount', () => {
    expect(parseUsdToCents('25')).toBe(2500);
    expect(parseUsdToCents('25.5')).toBe(2550);
    expect(parseUsdToCents(' $1,000.07 ')).toBe(100007);
    expect(parseUsdToCents('0.29')).toBe(29);
    for (const bad of ['', 'abc', '1.234', '-5', '1e3', '12.']) expect(parseUsdToCents(bad)).toBeNull();
  });

  test('counts down to the grace end', () => {
    expect(countdown(NOW + 3 * 86_400_000 + 4 * 3_600_000 + 59_000, NOW)).toBe('3 days 4 hours');
    expect(countdown(NOW + 3_600_000 + 5 * 60_000, NOW)).toBe('1 hour 5 minutes');
    expect(countdown(NOW + 30_000, NOW)).toBe('less than a minute');
    expect(countdown(NOW, NOW)).toBeNull();
  });
});

describe('forms', () => {
  test('auto top-up: dollars to cents, the checkbox to a boolean; a bad amount names its field', () => {
    expect(readAutoTopUp({ threshold: '10', amount: '25.50', enabled: 'on' })).toEqual({ ok: true, body: { thresholdCents: 1000, amountCents: 2550, enabled: true } });
    expect(readAutoTopUp({ threshold: '10', amount: '25' })).toMatchObject({ ok: true, body: { enabled: false } });
    const bad = readAutoTopUp({ threshold: 'ten', amount: '25' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.error.fields)).toEqual(['threshold']);
  });

  test('spend controls: thresholds as a comma list of whole percentages', () => {
    expect(readSpendControls({ cap: '50', thresholds: '50, 80%,100', action: 'block' })).toEqual({
      ok: true,
      body: { monthlyCapCents: 5000, alertThresholdsPercent: [50, 80, 100], action: 'block' },
    });
    const bad = readSpendControls({ cap: '50', thresholds: '50, eighty', action: 'block' });
    expect(bad.ok).toBe(false);
  });
});
