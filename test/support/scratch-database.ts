// A database of its own for a test whose processes must not see the rows of
// test files running beside it (e.g. an engine whose notification
// dispatcher would otherwise take other files' pending notifications): a
// fresh database next to the test database, migrated, dropped afterwards.
import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { projectRoot } from '../../scripts/lib/binaries';
import { TEST_DATABASE_URL } from './test-env';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `suffix`: letters, digits and "_" (appended to the test database's name). */
export async function createScratchDatabase(suffix: string): Promise<ScratchDatabase> {
  if (!/^[a-z0-9_]+$/.test(suffix)) throw new Error(`scratch database suffix must be [a-z0-9_]+, got ${suffix}`);
  const url = new URL(TEST_DATABASE_URL);
  const name = `${url.pathname.slice(1)}_${suffix}`;
  url.pathname = `/${name}`;
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${name}"`);
  execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
    cwd: projectRoot,
    env: { ...process.env, DATABASE_URL: url.toString(), CHECKPOINT_DISABLE: '1' },
    stdio: 'pipe',
  });
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
