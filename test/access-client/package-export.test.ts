// The client is a subpath export of this package: a gateway imports
// `subscription-lifecycle-engine/access-client` and gets the client and
// nothing of the engine's server side (no Prisma, pg, Express, Temporal or
// Stripe is loaded). Checked in a fresh Node process, as a gateway would load it.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

test('the subpath export resolves by the package name and loads only the client, the pure domain and zod', () => {
  const script = `
    const client = require('subscription-lifecycle-engine/access-client');
    const loaded = Object.keys(require.cache).map((f) => f.replace(${JSON.stringify(root + path.sep)}, ''));
    console.log(JSON.stringify({ exports: Object.keys(client).sort(), loaded }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8' });
  const { exports, loaded } = JSON.parse(out.trim().split('\n').pop() as string) as { exports: string[]; loaded: string[] };
  expect(exports).toEqual(expect.arrayContaining(['createAccessClient', 'AccessClientError', 'decideLocally', 'SseParser', 'STALE_REASON']));
  const own = loaded.filter((f) => !f.startsWith('node_modules'));
  expect(own.every((f) => f.startsWith('src/access-client/') || f.startsWith('src/domain/'))).toBe(true);
  const packages = new Set(loaded.filter((f) => f.startsWith('node_modules')).map((f) => f.split(path.sep).slice(1, f.includes('@') ? 3 : 2).join('/')));
  for (const heavy of ['@prisma/client', 'pg', 'express', '@temporalio/client', 'stripe']) expect(packages.has(heavy)).toBe(false);
});
