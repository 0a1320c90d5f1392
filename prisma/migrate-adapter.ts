// Driver adapter for Prisma Migrate ONLY (loaded by prisma.config.ts, never by
// the runtime client in src/). It works around two upstream bugs that hit
// Migrate through @prisma/adapter-pg 6.19.3:
//
// 1. prisma/orm#27403 "Column type 'name' could not be deserialized": the
//    schema engine's introspection selects columns of the Postgres types
//    "char" (OID 18) and name (OID 19), which the adapter does not map. Both
//    are plain text on the wire, so we report them as text (OID 25).
// 2. PrismaPg.connectToShadowDb() spreads `{ ...config, database }`, but with
//    a connectionString the string wins, so the "shadow" is the main
//    database and `migrate dev` fails with "relation already exists". We
//    create a real temporary database and drop it after its pool is closed.
// 3. The adapter's executeScript() splits a migration on every ";", which
//    breaks dollar-quoted bodies (CREATE FUNCTION ... $$ ... $$). Postgres
//    runs a multi-statement script as one simple query, so we send it whole.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

const TEXT_OID = 25;
const OIDS_REPORTED_AS_TEXT = new Set([18, 19]);

type QueryResultLike = { fields?: { dataTypeID: number }[] };

function reportNameTypesAsText<T>(result: T): T {
  for (const field of (result as QueryResultLike)?.fields ?? []) {
    if (OIDS_REPORTED_AS_TEXT.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
  }
  return result;
}

function patchQuery(target: { query: (...args: never[]) => unknown }): void {
  const original = target.query.bind(target) as (...args: unknown[]) => unknown;
  target.query = ((...args: unknown[]) => {
    const out = original(...args);
    return out instanceof Promise ? out.then(reportNameTypesAsText) : out;
  }) as never;
}

/** A pg.Pool whose results (pool queries and checked-out clients) report "char"/name as text. */
class NameAsTextPool extends pg.Pool {
  constructor(config: pg.PoolConfig) {
    super(config);
    patchQuery(this as never);
    this.on('connect', (client) => patchQuery(client as never));
  }
}

async function connectTo(connectionString: string) {
  const pool = new NameAsTextPool({ connectionString });
  const adapter = await new PrismaPg(pool, { disposeExternalPool: true }).connect();
  adapter.executeScript = async (script: string) => {
    await pool.query(script);
  };
  return adapter;
}

export function createMigrateAdapter(url: string): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connectTo(url),
    async connectToShadowDb() {
      const admin = await connectTo(url);
      const database = `prisma_shadow_${randomUUID().replace(/-/g, '')}`;
      await admin.executeScript(`CREATE DATABASE "${database}"`);
      const shadowUrl = new URL(url);
      shadowUrl.pathname = `/${database}`;
      const shadow = await connectTo(shadowUrl.toString());
      const closeShadow = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await closeShadow();
        await admin.executeScript(`DROP DATABASE IF EXISTS "${database}"`);
        await admin.dispose();
      };
      return shadow;
    },
  };
}
