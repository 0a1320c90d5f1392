// A tiny OpenID provider for tests: an HTTP server on 127.0.0.1 serving
// /.well-known/openid-configuration and /jwks.json (keys generated with
// jose), and ID tokens signed with those keys, or with anything a test wants
// to try. It counts requests, so tests can see what the engine cached.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface TokenOptions {
  claims?: JWTPayload;
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch; default ten minutes from now; null: no exp claim at all. */
  exp?: number | null;
  kid?: string;
  /** Sign with this key instead of the provider's (e.g. one it never published). */
  key?: CryptoKey;
}

export interface OidcProvider {
  issuer: string;
  audience: string;
  kid: string;
  requests: { discovery: number; jwks: number };
  /** Discovery and JWKS answer 500 while this is true. */
  failing: boolean;
  /** Only the JWKS answers 500 while this is true. */
  jwksFailing: boolean;
  token(email: string, options?: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcProvider(audience = 'billing-app-client'): Promise<OidcProvider> {
  const kid = 'test-key-1';
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const provider = { requests: { discovery: 0, jwks: 0 }, failing: false, jwksFailing: false } as OidcProvider;
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (provider.failing) return send(500, { error: 'down' });
    if (req.url === '/.well-known/openid-configuration') {
      provider.requests.discovery += 1;
      return send(200, { issuer: provider.issuer, jwks_uri: `${provider.issuer}/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (req.url === '/jwks.json') {
      provider.requests.jwks += 1;
      if (provider.jwksFailing) return send(500, { error: 'down' });
      return send(200, { keys: [jwk] });
    }
    return send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(provider, {
    issuer,
    audience,
    kid,
    token(email: string, o: TokenOptions = {}) {
      const jwt = new SignJWT({ email, email_verified: true, ...o.claims })
        .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? kid })
        .setIssuer(o.issuer ?? issuer)
        .setAudience(o.audience ?? audience)
        .setSubject(`user-${email}`)
        .setIssuedAt();
      if (o.exp !== null) jwt.setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 600);
      return jwt.sign(o.key ?? privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
