// Shared by the bench scripts: the database a bench runs against (default
// TEST_DATABASE_URL, else the local billing_test database), brought up to
// date with the migrations the way the test setup does, and bounded integer
// options read from the environment.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { projectRoot } from './binaries';

export const BENCH_DATABASE_URL =
  process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgresql://billing:billing@127.0.0.1:5432/billing_test';

/** An integer option from the environment, refused outside [min, max]. */
export function bounded(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max} (got ${raw})`);
  }
  return value;
}

/** Applies pending migrations to the bench database (as the test setup does). */
export async function ensureSchema(databaseUrl = BENCH_DATABASE_URL): Promise<void> {
  const dir = path.join(projectRoot, 'prisma', 'migrations');
  const all = readdirSync(dir).filter((name) => existsSync(path.join(dir, name, 'migration.sql')));
  const client = new PgClient({ connectionString: databaseUrl });
  let applied = new Set<string>();
  try {
    await client.connect();
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    applied = new Set(rows.map((r) => r.migration_name));
  } catch {
    // no migrations table yet: deploy everything
  } finally {
    await client.end().catch(() => undefined);
  }
  if (all.every((name) => applied.has(name))) return;
  console.log('applying pending migrations to the bench database…');
  execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
    cwd: projectRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1' },
    stdio: 'pipe',
  });
}
