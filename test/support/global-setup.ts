// Runs once before the suite: brings the test database's schema up to date
// and starts one stripe-mock for every test file. Test workers inherit the
// environment set here.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { projectRoot } from '../../scripts/lib/binaries';
import { startStripeMock, type StripeMock } from '../../scripts/lib/dev-servers';
import { TEST_DATABASE_URL } from './test-env';

declare global {
  var __stripeMock: StripeMock | undefined;
}

/** Migration folders the test database has not applied (all of them if it cannot tell). */
async function pendingMigrations(): Promise<string[]> {
  const dir = path.join(projectRoot, 'prisma', 'migrations');
  const all = readdirSync(dir).filter((name) => existsSync(path.join(dir, name, 'migration.sql')));
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  try {
    await client.connect();
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Set(rows.map((r) => r.migration_name));
    return all.filter((name) => !applied.has(name));
  } catch {
    return all;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function globalSetup(): Promise<void> {
  // `prisma migrate deploy` costs ~10 s even when there is nothing to do.
  if ((await pendingMigrations()).length > 0) {
    execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, CHECKPOINT_DISABLE: '1' },
      stdio: 'pipe', // shown only when it fails (execFileSync puts it in the error)
    });
  }
  if (!process.env.STRIPE_API_URL) {
    globalThis.__stripeMock = await startStripeMock();
    process.env.STRIPE_API_URL = globalThis.__stripeMock.url;
  }
}
