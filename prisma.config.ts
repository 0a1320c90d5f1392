// Prisma CLI configuration. Migrate runs through the bundled WASM schema
// engine with a JS driver adapter, so nothing is downloaded (see
// prisma/migrate-adapter.ts for the two upstream bugs it works around).
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { createMigrateAdapter } from './prisma/migrate-adapter';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL must be set for Prisma Migrate');
    return createMigrateAdapter(url);
  },
});
