// Outbound webhook settings in src/config.ts: defaults, the whsec_<base64>
// secret checked at start, and clear errors naming the variable.
import { ConfigError, loadConfig } from '../../src/config';

const REQUIRED = {
  STRIPE_SECRET_KEY: 'sk_test_abc',
  STRIPE_WEBHOOK_SECRET: 'whsec_abc',
  APP_API_TOKEN: 'app-token-0123456789',
  OPERATOR_API_TOKEN: 'operator-token-0123456789',
};
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...REQUIRED, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

test('unset: notifications are recorded, not sent; the retry policy has bounded defaults', () => {
  const config = loadConfig(REQUIRED);
  expect(config.OUTBOUND_WEBHOOK_URL).toBeUndefined();
  expect(config).toMatchObject({
    OUTBOUND_WEBHOOK_TIMEOUT: 10_000,
    OUTBOUND_WEBHOOK_MAX_ATTEMPTS: 12,
    OUTBOUND_WEBHOOK_RETRY_INITIAL: 30_000,
    OUTBOUND_WEBHOOK_RETRY_MAX: 6 * 3_600_000,
  });
});

test('a URL with a Standard Webhooks secret and custom retries', () => {
  const config = loadConfig({
    ...REQUIRED,
    OUTBOUND_WEBHOOK_URL: 'https://app.example.com/hooks/billing',
    OUTBOUND_WEBHOOK_SECRET: SECRET,
    OUTBOUND_WEBHOOK_TIMEOUT: '2s',
    OUTBOUND_WEBHOOK_MAX_ATTEMPTS: '5',
    OUTBOUND_WEBHOOK_RETRY_INITIAL: '100ms',
    OUTBOUND_WEBHOOK_RETRY_MAX: '1s',
  });
  expect(config).toMatchObject({
    OUTBOUND_WEBHOOK_URL: 'https://app.example.com/hooks/billing',
    OUTBOUND_WEBHOOK_SECRET: SECRET,
    OUTBOUND_WEBHOOK_TIMEOUT: 2_000,
    OUTBOUND_WEBHOOK_MAX_ATTEMPTS: 5,
    OUTBOUND_WEBHOOK_RETRY_INITIAL: 100,
    OUTBOUND_WEBHOOK_RETRY_MAX: 1_000,
  });
});

test('every bad setting is refused at start with the variable named', () => {
  expect(problemsOf({ OUTBOUND_WEBHOOK_URL: 'https://app.example.com/hooks' })).toEqual([
    'OUTBOUND_WEBHOOK_SECRET: OUTBOUND_WEBHOOK_SECRET (whsec_<base64 key>) is required when OUTBOUND_WEBHOOK_URL is set',
  ]);
  expect(problemsOf({ OUTBOUND_WEBHOOK_URL: 'ftp://app.example.com', OUTBOUND_WEBHOOK_SECRET: SECRET })[0]).toMatch(/^OUTBOUND_WEBHOOK_URL: /);
  expect(problemsOf({ OUTBOUND_WEBHOOK_SECRET: 'secret' })).toEqual(['OUTBOUND_WEBHOOK_SECRET: OUTBOUND_WEBHOOK_SECRET must look like whsec_<base64 key>']);
  expect(problemsOf({ OUTBOUND_WEBHOOK_SECRET: 'whsec_not base64!' })).toEqual(['OUTBOUND_WEBHOOK_SECRET: OUTBOUND_WEBHOOK_SECRET must be whsec_ followed by a base64 key']);
  expect(problemsOf({ OUTBOUND_WEBHOOK_SECRET: `whsec_${Buffer.alloc(8).toString('base64')}` })).toEqual([
    'OUTBOUND_WEBHOOK_SECRET: OUTBOUND_WEBHOOK_SECRET must carry a key of 24 to 64 bytes (got 8)',
  ]);
  expect(problemsOf({ OUTBOUND_WEBHOOK_MAX_ATTEMPTS: '0' })[0]).toMatch(/^OUTBOUND_WEBHOOK_MAX_ATTEMPTS: /);
  expect(problemsOf({ OUTBOUND_WEBHOOK_TIMEOUT: '10 minutes' })).toEqual(['OUTBOUND_WEBHOOK_TIMEOUT: OUTBOUND_WEBHOOK_TIMEOUT must look like 7d, 36h, 30m, 10s or 500ms']);
  expect(problemsOf({ OUTBOUND_WEBHOOK_TIMEOUT: '10m' })).toEqual(['OUTBOUND_WEBHOOK_TIMEOUT: OUTBOUND_WEBHOOK_TIMEOUT must be between 100ms and 5m']);
  expect(problemsOf({ OUTBOUND_WEBHOOK_RETRY_INITIAL: '1m', OUTBOUND_WEBHOOK_RETRY_MAX: '30s' })).toEqual([
    'OUTBOUND_WEBHOOK_RETRY_MAX: OUTBOUND_WEBHOOK_RETRY_MAX must not be shorter than OUTBOUND_WEBHOOK_RETRY_INITIAL',
  ]);
});
