// The database half of `npm start`: the local PostgreSQL cluster (when no
// DATABASE_URL is given) and migrations.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { projectRoot } from '../lib/binaries';
import { redactUrl } from './local-defaults';

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: projectRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} ${signal ? `killed by ${signal}` : `exited with code ${code}`}`)),
    );
  });
}

/** Starts the local cluster if it is down (scripts/ensure-postgres.sh). */
export function ensureLocalPostgres(env: NodeJS.ProcessEnv): Promise<void> {
  return run('bash', [path.join(projectRoot, 'scripts', 'ensure-postgres.sh')], env);
}

/** Migration folders in prisma/migrations that the database has not applied yet. */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const folder = path.join(projectRoot, 'prisma', 'migrations');
  const local = readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(folder, entry.name, 'migration.sql')))
    .map((entry) => entry.name);
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot connect to the database ${redactUrl(databaseUrl)}: ${(error as Error).message}`);
  }
  try {
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Set(rows.map((row) => row.migration_name));
    return local.filter((name) => !applied.has(name));
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return local; // no _prisma_migrations yet
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * Applies pending migrations with `prisma migrate deploy`. Skipped when
 * nothing is pending, because even a no-op deploy takes ~10 s (Prisma's WASM
 * schema engine leaves a 10 s timer running).
 */
export async function migrate(databaseUrl: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const pending = await pendingMigrations(databaseUrl);
  if (pending.length === 0) return [];
  const prisma = path.join(projectRoot, 'node_modules', '.bin', 'prisma');
  await run(prisma, ['migrate', 'deploy'], { ...env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1' });
  return pending;
}
