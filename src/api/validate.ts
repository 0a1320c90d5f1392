// zod parsing for requests: failures become one validation_failed problem
// listing every offending field.
import type { z } from 'zod';
import { ValidationError } from '../domain/errors';

export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'params' | 'query' | 'headers'): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({ path: [where, ...issue.path.map(String)].join('.'), message: issue.message })),
  );
}
