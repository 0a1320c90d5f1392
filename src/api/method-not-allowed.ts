// 405 for a method a documented path does not take. The paths and their
// methods come from the OpenAPI document itself, so the answer cannot drift
// from what the document says: a request whose path matches a documented
// path template with a method none of its operations use (TRACE, PATCH, …)
// is answered 405 method_not_allowed with an `Allow` header naming the
// documented methods (RFC 9110 §15.5.6), before authentication (the document
// is public, so the answer reveals nothing). OPTIONS on a documented path
// answers 204 with the same `Allow`. Paths the document does not name are
// left to the routes (and end as 404 not_found).
import type { RequestHandler } from 'express';
import { DomainError } from '../domain/errors';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface DocumentedPath {
  pattern: RegExp;
  allow: Set<string>;
}

/** Each documented path as a regular expression over the request path, with its methods (HEAD beside GET, as Express answers it). */
export function documentedPaths(paths: Record<string, Record<string, unknown>>): DocumentedPath[] {
  return Object.entries(paths).map(([template, item]) => {
    const source = template
      .split('/')
      .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
      .join('/');
    const allow = new Set(METHODS.filter((m) => m in item).map((m) => m.toUpperCase()));
    if (allow.has('GET')) allow.add('HEAD');
    return { pattern: new RegExp(`^${source}/?$`), allow };
  });
}

export function methodNotAllowed(paths: Record<string, Record<string, unknown>>): RequestHandler {
  const documented = documentedPaths(paths);
  return (req, res, next) => {
    const matching = documented.filter((d) => d.pattern.test(req.path));
    if (matching.length === 0) return next();
    const allow = new Set(matching.flatMap((d) => [...d.allow]));
    if (allow.has(req.method)) return next();
    const header = [...allow].sort().join(', ');
    if (req.method === 'OPTIONS') {
      res.set('Allow', header).status(204).end();
      return;
    }
    res.set('Allow', header);
    next(new DomainError('method_not_allowed', `${req.method} is not supported on ${req.path}; allowed: ${header}.`));
  };
}
