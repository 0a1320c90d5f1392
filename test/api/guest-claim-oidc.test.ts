// The claim by email in OIDC mode (OIDC_ISSUER, OIDC_AUDIENCE set): the app
// sends the user's ID token; the engine verifies it against the JWKS of an
// OpenID provider the test serves itself (discovered through its
// openid-configuration) and claims with the token's verified email. Every
// bad token is refused with a stable code and claims nothing.
import { generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { createLogger } from '../../src/infra/logger';
import { createStripeClient } from '../../src/infra/stripe-client';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { appAuth as auth, guestTools, type Guest } from '../support/guest-checkouts';
import { startOidcProvider, type OidcProvider } from '../support/oidc-provider';

let h: ApiHarness;
let idp: OidcProvider;
let tools: ReturnType<typeof guestTools>;
beforeAll(async () => {
  idp = await startOidcProvider();
  h = await startApiHarness('api-guest-claim-oidc', { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: idp.audience });
  tools = guestTools(h.app, h.workspaces);
}, 120_000);
afterAll(async () => {
  await h?.close();
  await idp?.close();
});

const claim = (workspaceId: string, body: object, app = h.app) => request(app).post(`/v1/workspaces/${workspaceId}/guest-checkouts/claim`).set(auth).send(body);
const billing = (workspaceId: string) => request(h.app).get(`/v1/workspaces/${workspaceId}/billing`).set(auth).then((r) => r.body);
const row = (checkoutId: string) => h.prisma.guestCheckout.findUniqueOrThrow({ where: { checkoutId } });

async function paidGuest(): Promise<Guest> {
  const g = await tools.startGuest();
  await tools.pay(g);
  await eventually(() => row(g.checkoutId), (r) => r.status === 'paid');
  return g;
}

/** Replaces one character in the middle of the signature (always a different signature value). */
function tamperSignature(token: string): string {
  const [header, payload, signature] = token.split('.');
  const i = Math.floor(signature.length / 2);
  const swapped = signature[i] === 'A' ? 'B' : 'A';
  return [header, payload, signature.slice(0, i) + swapped + signature.slice(i + 1)].join('.');
}

describe('claim by email in OIDC mode', () => {
  test('every bad token is refused with a stable code and claims nothing; then a valid token claims the guest', async () => {
    const g = await paidGuest();
    const workspaceId = uniqueId('ws');
    const now = Math.floor(Date.now() / 1000);
    const stranger = await generateKeyPair('RS256');
    const valid = await idp.token(g.email);
    const otherPayload = Buffer.from(JSON.stringify({ email: g.email, email_verified: true, iss: idp.issuer, aud: idp.audience, exp: now + 600, sub: 'intruder' })).toString('base64url');
    const [validHeader, , validSignature] = valid.split('.');

    const refusals: [string, object, number, string, string | undefined][] = [
      ['a bare verifiedEmail', { verifiedEmail: g.email }, 400, 'id_token_required', undefined],
      ['wrong audience', { idToken: await idp.token(g.email, { audience: 'someone-else' }) }, 401, 'invalid_id_token', 'wrong_audience'],
      ['wrong issuer', { idToken: await idp.token(g.email, { issuer: 'https://evil.example.com' }) }, 401, 'invalid_id_token', 'wrong_issuer'],
      ['expired', { idToken: await idp.token(g.email, { exp: now - 3600 }) }, 401, 'invalid_id_token', 'expired'],
      ['email_verified false', { idToken: await idp.token(g.email, { claims: { email_verified: false } }) }, 403, 'email_not_verified', 'not_verified'],
      ['email_verified as a string', { idToken: await idp.token(g.email, { claims: { email_verified: 'true' } }) }, 403, 'email_not_verified', 'not_verified'],
      ['no email', { idToken: await idp.token(g.email, { claims: { email: undefined } }) }, 403, 'email_not_verified', 'no_email'],
      ['unknown kid', { idToken: await idp.token(g.email, { kid: 'never-published', key: stranger.privateKey }) }, 401, 'invalid_id_token', 'unknown_key'],
      ['the published kid, signed by another key', { idToken: await idp.token(g.email, { key: stranger.privateKey }) }, 401, 'invalid_id_token', 'bad_signature'],
      ['tampered signature', { idToken: tamperSignature(valid) }, 401, 'invalid_id_token', 'bad_signature'],
      ['payload swapped under a valid signature', { idToken: [validHeader, otherPayload, validSignature].join('.') }, 401, 'invalid_id_token', 'bad_signature'],
      ['not a JWT', { idToken: 'not-a-token' }, 401, 'invalid_id_token', 'malformed'],
      [
        'a shared-secret (HS256) token',
        { idToken: await new SignJWT({ email: g.email, email_verified: true }).setProtectedHeader({ alg: 'HS256' }).setIssuer(idp.issuer).setAudience(idp.audience).setExpirationTime('5m').sign(new TextEncoder().encode('x'.repeat(32))) },
        401,
        'invalid_id_token',
        'algorithm_not_allowed',
      ],
      ['no exp (a token that never expires)', { idToken: await idp.token(g.email, { exp: null }) }, 401, 'invalid_id_token', 'missing_claim'],
    ];
    for (const [what, body, status, code, reason] of refusals) {
      const res = await claim(workspaceId, body);
      expect({ what, status: res.status, code: res.body.code, reason: res.body.reason }).toEqual({ what, status, code, reason });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect(await row(g.checkoutId)).toMatchObject({ status: 'paid', claimedWorkspaceId: null });
    expect((await billing(workspaceId)).status).toBe('none');

    const res = await claim(workspaceId, { idToken: valid });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ checkoutId: g.checkoutId, workspaceId, status: 'active', plan: { id: 'plus', interval: 'month' } });
    await eventually(() => billing(workspaceId), (b) => b.status === 'active' && b.plan.id === 'plus');
    // The discovery document was read once for all of these.
    expect(idp.requests.discovery).toBe(1);
  });

  test('the token’s email is the one used (case-insensitive), whatever else the app knows', async () => {
    const g = await paidGuest();
    const other = await paidGuest();
    const workspaceId = uniqueId('ws');
    const res = await claim(workspaceId, { idToken: await idp.token(g.email.toUpperCase()) });
    expect(res.status).toBe(200);
    expect(res.body.checkoutId).toBe(g.checkoutId);
    expect(await row(other.checkoutId)).toMatchObject({ status: 'paid', claimedWorkspaceId: null });
    const nothing = await claim(uniqueId('ws'), { idToken: await idp.token(`${uniqueId('nobody')}@example.com`) });
    expect(nothing.status).toBe(404);
    expect(nothing.body.code).toBe('nothing_to_claim');
  });

  test('503 identity_provider_unavailable while the provider cannot serve its keys; nothing claimed', async () => {
    const down = await startOidcProvider();
    down.failing = true;
    const app = createApp({
      prisma: h.prisma,
      stripe: createStripeClient(h.config.STRIPE_SECRET_KEY, h.config.STRIPE_API_URL),
      workspaces: h.workspaces,
      access: h.access,
      log: createLogger('silent'),
      config: { ...h.config, OIDC_ISSUER: down.issuer, OIDC_AUDIENCE: down.audience },
    });
    try {
      const g = await paidGuest();
      const res = await claim(uniqueId('ws'), { idToken: await down.token(g.email) }, app);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('identity_provider_unavailable');
      expect(await row(g.checkoutId)).toMatchObject({ status: 'paid', claimedWorkspaceId: null });
      // Discovery answers, the key set does not: still the provider's fault, not the token's.
      down.failing = false;
      down.jwksFailing = true;
      const keysDown = await claim(uniqueId('ws'), { idToken: await down.token(g.email) }, app);
      expect(keysDown.status).toBe(503);
      expect(keysDown.body.code).toBe('identity_provider_unavailable');
      expect(await row(g.checkoutId)).toMatchObject({ status: 'paid', claimedWorkspaceId: null });
      // Once it is back, the next request discovers it (a failure is not cached).
      down.jwksFailing = false;
      const ok = await claim(uniqueId('ws'), { idToken: await down.token(g.email) }, app);
      expect(ok.status).toBe(200);
    } finally {
      await down.close();
    }
  });
});
