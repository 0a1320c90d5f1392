// Real PostgreSQL for tests: the test database. Test files run in parallel
// against it, so tests never truncate: each one uses fresh ids (uniqueId).
import { randomUUID } from 'node:crypto';
import { createPrisma, type PrismaClient } from '../../src/infra/prisma';
import { TEST_DATABASE_URL } from './test-env';

export function testPrisma(): PrismaClient {
  return createPrisma(TEST_DATABASE_URL, 4);
}

export function uniqueId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}
