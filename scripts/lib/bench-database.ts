// Shared by the bench scripts: the bench database gets the project's
// migrations (as the test setup applies them) before anything runs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { projectRoot } from './binaries';

/** Applies pending migrations to the bench database (as the test setup does). */
export async function ensureSchema(databaseUrl: string): Promise<void> {
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
