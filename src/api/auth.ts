// Bearer-token authentication. A missing or wrong token is a 401 problem
// and the request goes no further. Tokens are compared in constant time
// without hashing (a SHA-256 per request cost about 1 µs more, and this runs
// on every /access request): the presented token is written into a buffer
// of the expected token's size (zero-filled, truncated if longer) and
// compared with timingSafeEqual, and the lengths are compared separately,
// both always computed. The time depends on the presented token's length
// (which its sender knows) and on the expected token's size, never on where
// the two differ.
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { DomainError } from '../domain/errors';

const BEARER = /^Bearer\s+(\S+)$/i;

interface Expected {
  bytes: Buffer;
  /** Where a presented token is written (synchronously, then compared). */
  scratch: Buffer;
}

function sameToken(presented: string, expected: Expected): boolean {
  expected.scratch.fill(0);
  expected.scratch.write(presented, 'utf8');
  const sameBytes = timingSafeEqual(expected.scratch, expected.bytes);
  const sameLength = Buffer.byteLength(presented, 'utf8') === expected.bytes.length;
  return sameBytes && sameLength;
}

/** Which of the expected tokens the header presents, or -1 (every token is compared, so the time does not tell which). */
function matchingToken(header: string | undefined, expected: readonly Expected[]): number {
  const match = BEARER.exec(header ?? '');
  if (!match) return -1;
  let found = -1;
  for (let i = 0; i < expected.length; i++) if (sameToken(match[1], expected[i]) && found === -1) found = i;
  return found;
}

/** A constant-time check of an Authorization header against any of `tokens`. */
export function bearerCheck(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  const expected = tokens.map((token): Expected => {
    const bytes = Buffer.from(token, 'utf8');
    return { bytes, scratch: Buffer.alloc(bytes.length) };
  });
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
