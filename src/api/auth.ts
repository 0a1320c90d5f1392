// Bearer-token authentication. Tokens are compared in constant time; a
// missing or wrong token is a 401 problem and the request goes no further.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { DomainError } from '../domain/errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function requireBearer(token: string, realm: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]), expected)) {
      res.set('WWW-Authenticate', `Bearer realm="${realm}"`);
      return next(new DomainError('unauthorized', 'A valid bearer token is required.'));
    }
    next();
  };
}
