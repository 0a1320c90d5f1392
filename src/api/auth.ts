// Bearer-token authentication. Tokens are compared in constant time (SHA-256
// of both sides, so neither the content nor the length of the expected token
// leaks); a missing or wrong token is a 401 problem and the request goes no
// further. The one-shot crypto.hash costs about half of a Hash object, and
// this runs on every /access request.
import { hash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { DomainError } from '../domain/errors';

const digest = (value: string): Buffer => hash('sha256', value, 'buffer');
const BEARER = /^Bearer\s+(\S+)$/i;

/** Which of the expected tokens (by digest) the header presents, or -1. */
function matchingToken(header: string | undefined, expected: readonly Buffer[]): number {
  const match = BEARER.exec(header ?? '');
  if (!match) return -1;
  const presented = digest(match[1]);
  let found = -1;
  // Every token is compared, so the time does not tell which one matched.
  for (let i = 0; i < expected.length; i++) if (timingSafeEqual(presented, expected[i]) && found === -1) found = i;
  return found;
}

/** A constant-time check of an Authorization header against any of `tokens`. */
export function bearerCheck(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  const expected = tokens.map(digest);
  return (authorization) => matchingToken(authorization, expected) !== -1;
}

/** The 401 problem (with its WWW-Authenticate challenge) for a request without a valid token. */
export function unauthorized(res: Response, realm: string): DomainError {
  res.set('WWW-Authenticate', `Bearer realm="${realm}"`);
  return new DomainError('unauthorized', 'A valid bearer token is required.');
}

/** Accepts any of `tokens` (e.g. the app token or the operator token). */
export function requireAnyBearer(tokens: readonly string[], realm: string): RequestHandler {
  const valid = bearerCheck(tokens);
  return (req, res, next) => (valid(req.headers.authorization) ? next() : next(unauthorized(res, realm)));
}

export function requireBearer(token: string, realm: string): RequestHandler {
  return requireAnyBearer([token], realm);
}
