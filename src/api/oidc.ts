// Optional OIDC mode of the claim by email: with OIDC_ISSUER and
// OIDC_AUDIENCE set, the app sends the user's ID token instead of an email it
// verified itself, and the engine verifies it: signature against the
// issuer's JWKS (found through <issuer>/.well-known/openid-configuration,
// both cached), `iss`, `aud`, `exp` (required), `nbf`; then `email_verified`
// must be true and `email` is the address used. Verification is jose's; this
// file only discovers the keys and names each refusal with a stable reason.
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { isAcceptableIssuerUrl } from '../config';
import { DomainError } from '../domain/errors';

export interface IdTokenVerifier {
  /** The verified email of a valid ID token; DomainError invalid_id_token, email_not_verified or identity_provider_unavailable otherwise. */
  verifiedEmail(idToken: string): Promise<string>;
}

export interface OidcOptions {
  issuer: string;
  audience: string;
  /** How long a discovery document is used before it is fetched again (default 1 h; the JWKS has its own cache in jose). */
  discoveryTtlMs?: number;
  /** Timeout of each request to the issuer (default 5 s). */
  timeoutMs?: number;
  /** Clock skew allowed on exp and nbf, in seconds (default 30). */
  clockToleranceSec?: number;
}

/** Signature algorithms accepted: asymmetric only (an ID token signed with a shared secret is refused). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

const discoverySchema = z.object({
  issuer: z.string(),
  jwks_uri: z.string().refine(isAcceptableIssuerUrl, 'jwks_uri must be an https URL'),
});

/** Why a token was refused (problem details `reason`). */
export type IdTokenRefusal =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_claim';

const REFUSED_BY_CODE: Record<string, IdTokenRefusal> = {
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
  ERR_JOSE_NOT_SUPPORTED: 'malformed',
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm_not_allowed',
  ERR_JWKS_NO_MATCHING_KEY: 'unknown_key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'unknown_key',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'bad_signature',
  ERR_JWT_EXPIRED: 'expired',
};
const REFUSED_BY_CLAIM: Record<string, IdTokenRefusal> = { iss: 'wrong_issuer', aud: 'wrong_audience', nbf: 'not_yet_valid' };

/**
 * A jose failure as a refusal of the token, or null when the issuer is at
 * fault (keys unreachable, not JSON, timed out): the caller may try again.
 */
export function refusalOf(err: unknown): IdTokenRefusal | null {
  const e = err as { code?: unknown; claim?: unknown; reason?: unknown };
  if (typeof e?.code !== 'string') return null;
  if (e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (e.reason === 'missing') return 'missing_claim';
    return REFUSED_BY_CLAIM[String(e.claim)] ?? 'missing_claim';
  }
  return REFUSED_BY_CODE[e.code] ?? null;
}

const unavailable = (message: string, err?: unknown) =>
  new DomainError('identity_provider_unavailable', message, err === undefined ? {} : { cause: err instanceof Error ? err.message : String(err) });

interface Discovered {
  jwksUri: string;
  keys: JWTVerifyGetKey;
  at: number;
}

export function createOidcVerifier(options: OidcOptions): IdTokenVerifier {
  const { issuer, audience } = options;
  const ttlMs = options.discoveryTtlMs ?? 3_600_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const discoveryUrl = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let discovered: Discovered | null = null;
  let pending: Promise<Discovered> | null = null;

  async function discover(): Promise<Discovered> {
    let document: unknown;
    try {
      const res = await fetch(discoveryUrl, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`${discoveryUrl} answered ${res.status}`);
      document = await res.json();
    } catch (err) {
      throw unavailable('The identity provider could not be reached to find its signing keys; try again.', err);
    }
    const parsed = discoverySchema.safeParse(document);
    if (!parsed.success) throw unavailable(`The identity provider's discovery document is unusable: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`);
    // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
    if (parsed.data.issuer !== issuer) throw unavailable(`The discovery document names issuer ${parsed.data.issuer}, not ${issuer}.`);
    const jwksUri = parsed.data.jwks_uri;
    // Keep jose's key cache when the set did not move.
    const keys = discovered?.jwksUri === jwksUri ? discovered.keys : createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: timeoutMs });
    return { jwksUri, keys, at: Date.now() };
  }

  /** The signing keys: discovered once, again after the TTL (a failed refresh keeps the known keys). */
  async function signingKeys(): Promise<JWTVerifyGetKey> {
    if (discovered && Date.now() - discovered.at < ttlMs) return discovered.keys;
    pending ??= discover().finally(() => {
      pending = null;
    });
    try {
      discovered = await pending;
    } catch (err) {
      if (discovered) return discovered.keys;
      throw err;
    }
    return discovered.keys;
  }

  return {
    async verifiedEmail(idToken) {
      const keys = await signingKeys();
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(idToken, keys, {
          issuer,
          audience,
          algorithms: ALGORITHMS,
          requiredClaims: ['exp'],
          clockTolerance: options.clockToleranceSec ?? 30,
        }));
      } catch (err) {
        const reason = refusalOf(err);
        if (reason === null) throw unavailable("The identity provider's signing keys could not be read; try again.", err);
        throw new DomainError('invalid_id_token', `The ID token was refused (${reason.replace(/_/g, ' ')}).`, { reason });
      }
      if (typeof payload.email !== 'string' || payload.email === '') {
        throw new DomainError('email_not_verified', 'The ID token carries no email.', { reason: 'no_email' });
      }
      if (payload.email_verified !== true) {
        throw new DomainError('email_not_verified', 'The ID token does not say its email is verified (email_verified must be true).', { reason: 'not_verified' });
      }
      return payload.email;
    },
  };
}
