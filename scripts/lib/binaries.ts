// Where the external binaries live. `npm run setup` installs pinned versions
// into the git-ignored .tools/ folder; each location can be overridden by an
// environment variable for users who have their own.
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

const binaries = {
  temporal: { env: 'TEMPORAL_CLI_PATH', local: '.tools/python/bin/temporal' },
  temporalTestServer: { env: 'TEMPORAL_TEST_SERVER_PATH', local: '.tools/python/bin/temporal-test-server' },
  stripeMock: { env: 'STRIPE_MOCK_PATH', local: '.tools/bin/stripe-mock' },
  schemathesis: { env: 'SCHEMATHESIS_PATH', local: '.tools/schemathesis/bin/st' },
} as const;

export type BinaryName = keyof typeof binaries;

export function binaryPath(name: BinaryName): string {
  const { env, local } = binaries[name];
  const resolved = process.env[env] || path.join(root, local);
  if (!existsSync(resolved)) {
    throw new Error(`${name} binary not found at ${resolved}: run \`npm run setup\` or set ${env}`);
  }
  return resolved;
}

export const projectRoot = root;
