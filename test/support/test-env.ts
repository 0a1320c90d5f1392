// Configuration shared by every test tier: a dedicated test database and
// fixed secrets. global-setup.ts exports these into process.env before any
// test file runs.
import { loadConfig, type Config } from '../../src/config';

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgresql://billing:billing@127.0.0.1:5432/billing_test';

export const TEST_SECRETS = {
  STRIPE_SECRET_KEY: 'sk_test_EngineSuite0123456789',
  STRIPE_WEBHOOK_SECRET: 'whsec_engine_suite_secret',
  APP_API_TOKEN: 'app-token-for-the-test-suite',
  OPERATOR_API_TOKEN: 'operator-token-for-the-test-suite',
};

/** A validated Config for tests; `overrides` win over the suite defaults. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...TEST_SECRETS,
    DATABASE_URL: TEST_DATABASE_URL,
    STRIPE_API_URL: process.env.STRIPE_API_URL,
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}
