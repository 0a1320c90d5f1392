import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, configSchema, loadConfig } from '../../src/config';
import { describeTemporalConnection, temporalConnectionOptions } from '../../src/infra/temporal-connection';
import { TEST_SECRETS, testConfig } from '../support/test-env';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The required variables only: everything else takes its default. */
const REQUIRED = {
  STRIPE_SECRET_KEY: 'sk_test_abc',
  STRIPE_WEBHOOK_SECRET: 'whsec_abc',
  APP_API_TOKEN: 'app-token-0123456789',
  OPERATOR_API_TOKEN: 'operator-token-0123456789',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(REQUIRED);
    expect(config).toMatchObject({
      PORT: 3000,
      DATABASE_URL: 'postgresql://billing:billing@127.0.0.1:5432/billing',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'billing',
      BILLING_GRACE_PERIOD: 7 * DAY,
      BILLING_DUNNING_REMINDERS: [0, 3 * DAY, 6 * DAY],
      WALLET_MINIMUM_CENTS: 1000,
      CHECKOUT_SESSION_TTL: 24 * HOUR,
      GUEST_CHECKOUT_FLAG_AFTER: 30 * DAY,
      IDEMPOTENCY_KEY_TTL: 7 * DAY,
      LOG_LEVEL: 'info',
    });
    expect(config.STRIPE_API_URL).toBeUndefined();
    expect(config.STRIPE_SECRET_KEY).toBe(REQUIRED.STRIPE_SECRET_KEY);
  });

  it('reads overrides and coerces numbers', () => {
    const config = loadConfig({
      ...REQUIRED,
      PORT: '8080',
      WALLET_MINIMUM_CENTS: '0',
      TEMPORAL_NAMESPACE: 'billing-prod',
      STRIPE_API_URL: 'http://127.0.0.1:12111',
      BILLING_GRACE_PERIOD: '36h',
      CHECKOUT_SESSION_TTL: '30m',
    });
    expect(config.PORT).toBe(8080);
    expect(config.WALLET_MINIMUM_CENTS).toBe(0);
    expect(config.TEMPORAL_NAMESPACE).toBe('billing-prod');
    expect(config.STRIPE_API_URL).toBe('http://127.0.0.1:12111');
    expect(config.BILLING_GRACE_PERIOD).toBe(36 * HOUR);
    expect(config.CHECKOUT_SESSION_TTL).toBe(30 * 60_000);
  });

  it('treats empty strings as unset (defaults apply, required ones are missing)', () => {
    const config = loadConfig({ ...REQUIRED, PORT: '', BILLING_GRACE_PERIOD: '' });
    expect(config.PORT).toBe(3000);
    expect(config.BILLING_GRACE_PERIOD).toBe(7 * DAY);
    expect(problemsOf({ ...REQUIRED, APP_API_TOKEN: '' })).toEqual(['APP_API_TOKEN: is required']);
  });

  it('lists every missing required variable together in one ConfigError', () => {
    const problems = problemsOf({});
    expect(problems).toEqual(
      expect.arrayContaining([
        'STRIPE_SECRET_KEY: is required',
        'STRIPE_WEBHOOK_SECRET: is required',
        'APP_API_TOKEN: is required',
        'OPERATOR_API_TOKEN: is required',
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('the error message names every problem', () => {
    let error: unknown;
    try {
      loadConfig({});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).name).toBe('ConfigError');
    const message = (error as Error).message;
    expect(message).toMatch(/^Invalid configuration:/);
    for (const key of Object.keys(REQUIRED)) expect(message).toContain(`  - ${key}: is required`);
  });

  it('reports invalid and missing variables together', () => {
    const problems = problemsOf({ STRIPE_SECRET_KEY: 'pk_test_nope', BILLING_GRACE_PERIOD: 'a week', PORT: '70000' });
    expect(problems.some((p) => p.startsWith('STRIPE_SECRET_KEY:') && p.includes('sk_test_'))).toBe(true);
    expect(problems.some((p) => p.startsWith('BILLING_GRACE_PERIOD:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('PORT:'))).toBe(true);
    expect(problems).toContain('STRIPE_WEBHOOK_SECRET: is required');
    expect(problems).toContain('APP_API_TOKEN: is required');
  });

  it.each(['sk_test_x', 'sk_live_x', 'rk_test_x', 'rk_live_x'])('accepts Stripe key %s', (key) => {
    expect(loadConfig({ ...REQUIRED, STRIPE_SECRET_KEY: key }).STRIPE_SECRET_KEY).toBe(key);
  });

  it.each(['pk_test_x', 'sk_x', 'whsec_x', 'sk_prod_x'])('rejects Stripe key %s', (key) => {
    const problems = problemsOf({ ...REQUIRED, STRIPE_SECRET_KEY: key });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^STRIPE_SECRET_KEY: .*sk_test_/);
  });

  it('requires a whsec_ webhook secret', () => {
    expect(problemsOf({ ...REQUIRED, STRIPE_WEBHOOK_SECRET: 'secret' })).toEqual([
      'STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET must start with whsec_',
    ]);
  });

  it('requires API tokens of at least 16 characters', () => {
    const problems = problemsOf({ ...REQUIRED, APP_API_TOKEN: 'short', OPERATOR_API_TOKEN: '123456789012345' });
    expect(problems).toEqual(
      expect.arrayContaining([
        'APP_API_TOKEN: APP_API_TOKEN must be at least 16 characters',
        'OPERATOR_API_TOKEN: OPERATOR_API_TOKEN must be at least 16 characters',
      ]),
    );
    expect(loadConfig({ ...REQUIRED, APP_API_TOKEN: '1234567890123456' }).APP_API_TOKEN).toHaveLength(16);
  });

  it('requires the operator token to differ from the app token', () => {
    const problems = problemsOf({ ...REQUIRED, OPERATOR_API_TOKEN: REQUIRED.APP_API_TOKEN });
    expect(problems).toEqual(['OPERATOR_API_TOKEN: OPERATOR_API_TOKEN must differ from APP_API_TOKEN']);
  });

  it.each(['mysql://x', 'http://db', 'localhost:5432'])('rejects DATABASE_URL %s', (url) => {
    expect(problemsOf({ ...REQUIRED, DATABASE_URL: url })).toEqual(['DATABASE_URL: DATABASE_URL must be a postgresql:// URL']);
  });

  it.each(['postgres://a@b/c', 'postgresql://a@b/c'])('accepts DATABASE_URL %s', (url) => {
    expect(loadConfig({ ...REQUIRED, DATABASE_URL: url }).DATABASE_URL).toBe(url);
  });

  it.each(['ftp://stripe', 'not a url'])('rejects STRIPE_API_URL %s', (url) => {
    const problems = problemsOf({ ...REQUIRED, STRIPE_API_URL: url });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^STRIPE_API_URL: /);
  });

  it.each(['0', '65536', '3.5', 'abc', '-1'])('rejects PORT=%s with a message that is not "is required"', (port) => {
    const problems = problemsOf({ ...REQUIRED, PORT: port });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^PORT: /);
    expect(problems[0]).not.toBe('PORT: is required');
  });

  it.each(['-1', '1.5', 'lots'])('rejects WALLET_MINIMUM_CENTS=%s', (value) => {
    const problems = problemsOf({ ...REQUIRED, WALLET_MINIMUM_CENTS: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^WALLET_MINIMUM_CENTS: /);
    expect(problems[0]).not.toBe('WALLET_MINIMUM_CENTS: is required');
  });

  it('rejects an unknown LOG_LEVEL', () => {
    expect(problemsOf({ ...REQUIRED, LOG_LEVEL: 'verbose' })[0]).toMatch(/^LOG_LEVEL: /);
  });

  describe('durations', () => {
    it.each(['7', 'seven days', '1.5d', '-1d', '7w'])('rejects BILLING_GRACE_PERIOD=%j with a hint', (value) => {
      expect(problemsOf({ ...REQUIRED, BILLING_GRACE_PERIOD: value })).toEqual([
        'BILLING_GRACE_PERIOD: BILLING_GRACE_PERIOD must look like 7d, 36h, 30m, 10s or 500ms',
      ]);
    });

    it.each([
      ['30m', 30 * 60_000],
      ['1800s', 30 * 60_000],
      ['1h', HOUR],
      ['24h', 24 * HOUR],
      ['1d', DAY],
      ['86400000ms', DAY],
    ])('accepts CHECKOUT_SESSION_TTL=%s (inside Stripe\'s 30m–24h)', (value, ms) => {
      expect(loadConfig({ ...REQUIRED, CHECKOUT_SESSION_TTL: value }).CHECKOUT_SESSION_TTL).toBe(ms);
    });

    it.each(['29m', '1799999ms', '0s', '25h', '86400001ms', '2d'])('rejects CHECKOUT_SESSION_TTL=%s outside 30m–24h', (value) => {
      expect(problemsOf({ ...REQUIRED, CHECKOUT_SESSION_TTL: value })).toEqual([
        'CHECKOUT_SESSION_TTL: CHECKOUT_SESSION_TTL must be between 30m and 24h (Stripe limits)',
      ]);
    });

    it('reads GUEST_CHECKOUT_FLAG_AFTER as a duration of at least a minute', () => {
      expect(loadConfig({ ...REQUIRED, GUEST_CHECKOUT_FLAG_AFTER: '14d' }).GUEST_CHECKOUT_FLAG_AFTER).toBe(14 * DAY);
      expect(problemsOf({ ...REQUIRED, GUEST_CHECKOUT_FLAG_AFTER: '30s' })).toEqual(['GUEST_CHECKOUT_FLAG_AFTER: GUEST_CHECKOUT_FLAG_AFTER must be at least 1m']);
    });

    it('reads IDEMPOTENCY_KEY_TTL as a duration of at least an hour', () => {
      expect(loadConfig({ ...REQUIRED, IDEMPOTENCY_KEY_TTL: '36h' }).IDEMPOTENCY_KEY_TTL).toBe(36 * HOUR);
      expect(problemsOf({ ...REQUIRED, IDEMPOTENCY_KEY_TTL: '10m' })).toEqual(['IDEMPOTENCY_KEY_TTL: IDEMPOTENCY_KEY_TTL must be at least 1h']);
    });

    it('rejects a CHECKOUT_SESSION_TTL that is not a duration with the duration hint', () => {
      expect(problemsOf({ ...REQUIRED, CHECKOUT_SESSION_TTL: 'a day' })).toEqual([
        'CHECKOUT_SESSION_TTL: CHECKOUT_SESSION_TTL must look like 7d, 36h, 30m, 10s or 500ms',
      ]);
    });
  });

  describe('BILLING_DUNNING_REMINDERS', () => {
    it('parses a comma-separated list into milliseconds', () => {
      expect(loadConfig({ ...REQUIRED, BILLING_DUNNING_REMINDERS: '0d,1d,2d' }).BILLING_DUNNING_REMINDERS).toEqual([0, DAY, 2 * DAY]);
    });

    it('sorts the offsets ascending, numerically across units', () => {
      const config = loadConfig({ ...REQUIRED, BILLING_DUNNING_REMINDERS: '6d, 12h ,0s,3d,90m' });
      expect(config.BILLING_DUNNING_REMINDERS).toEqual([0, 90 * 60_000, 12 * HOUR, 3 * DAY, 6 * DAY]);
    });

    it('sorts numerically, not lexicographically', () => {
      expect(loadConfig({ ...REQUIRED, BILLING_DUNNING_REMINDERS: '10s,9s,100s' }).BILLING_DUNNING_REMINDERS).toEqual([
        9_000, 10_000, 100_000,
      ]);
    });

    it('ignores blank entries and surrounding whitespace', () => {
      expect(loadConfig({ ...REQUIRED, BILLING_DUNNING_REMINDERS: ' 1d ,, 2d, ' }).BILLING_DUNNING_REMINDERS).toEqual([DAY, 2 * DAY]);
    });

    it.each(['1d,soon', '1d;2d', 'x', '1d,2'])('rejects %j with a hint', (value) => {
      expect(problemsOf({ ...REQUIRED, BILLING_DUNNING_REMINDERS: value })).toEqual([
        'BILLING_DUNNING_REMINDERS: BILLING_DUNNING_REMINDERS must be a comma-separated list like 0d,3d,6d',
      ]);
    });
  });

  describe('Temporal Cloud connection and metrics', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'config-tls-'));
    const CERT = path.join(dir, 'client.pem');
    const KEY = path.join(dir, 'client.key');
    writeFileSync(CERT, 'CERT-BYTES');
    writeFileSync(KEY, 'KEY-BYTES');
    const cloud = { TEMPORAL_ADDRESS: 'billing.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'billing.a1b2c' };

    it('defaults: no TLS, no API key, metrics on, worker metrics on 127.0.0.1:9464', () => {
      const config = loadConfig(REQUIRED);
      expect(config).toMatchObject({ TEMPORAL_TLS: false, METRICS_ENABLED: true, WORKER_METRICS_PORT: 9464, WORKER_METRICS_BIND: '127.0.0.1' });
      expect(config.TEMPORAL_API_KEY).toBeUndefined();
      expect(temporalConnectionOptions(config)).toEqual({ address: '127.0.0.1:7233' });
    });

    it('an API key turns TLS on and reaches the connection options', () => {
      const config = loadConfig({ ...REQUIRED, ...cloud, TEMPORAL_API_KEY: 'tmprl-key' });
      expect(config.TEMPORAL_TLS).toBe(true);
      expect(temporalConnectionOptions(config)).toEqual({ address: cloud.TEMPORAL_ADDRESS, apiKey: 'tmprl-key', tls: {} });
      expect(describeTemporalConnection(config)).toEqual({ address: cloud.TEMPORAL_ADDRESS, tls: true, auth: 'api-key' });
      expect(JSON.stringify(describeTemporalConnection(config))).not.toContain('tmprl-key');
    });

    it('mTLS reads the certificate and key files and takes a server name override', () => {
      const config = loadConfig({ ...REQUIRED, ...cloud, TEMPORAL_TLS_CERT_PATH: CERT, TEMPORAL_TLS_KEY_PATH: KEY, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' });
      expect(config.TEMPORAL_TLS).toBe(true);
      const options = temporalConnectionOptions(config);
      expect(options.apiKey).toBeUndefined();
      expect(options.tls?.serverNameOverride).toBe('temporal.internal');
      expect(options.tls?.clientCertPair?.crt.toString()).toBe('CERT-BYTES');
      expect(options.tls?.clientCertPair?.key.toString()).toBe('KEY-BYTES');
      expect(describeTemporalConnection(config).auth).toBe('mtls');
    });

    it('TEMPORAL_TLS=true alone is server-verified TLS without a client certificate', () => {
      const config = loadConfig({ ...REQUIRED, TEMPORAL_TLS: 'TRUE' });
      expect(temporalConnectionOptions(config)).toEqual({ address: '127.0.0.1:7233', tls: {} });
    });

    it('rejects an API key together with an mTLS certificate', () => {
      expect(problemsOf({ ...REQUIRED, TEMPORAL_API_KEY: 'k', TEMPORAL_TLS_CERT_PATH: CERT, TEMPORAL_TLS_KEY_PATH: KEY })).toEqual([
        'TEMPORAL_API_KEY: use either TEMPORAL_API_KEY or an mTLS certificate (TEMPORAL_TLS_CERT_PATH/TEMPORAL_TLS_KEY_PATH), not both',
      ]);
    });

    it('requires the certificate and the key together', () => {
      expect(problemsOf({ ...REQUIRED, TEMPORAL_TLS_CERT_PATH: CERT })).toEqual([
        'TEMPORAL_TLS_KEY_PATH: TEMPORAL_TLS_CERT_PATH needs TEMPORAL_TLS_KEY_PATH (mTLS takes both)',
      ]);
      expect(problemsOf({ ...REQUIRED, TEMPORAL_TLS_KEY_PATH: KEY })).toEqual([
        'TEMPORAL_TLS_CERT_PATH: TEMPORAL_TLS_KEY_PATH needs TEMPORAL_TLS_CERT_PATH (mTLS takes both)',
      ]);
    });

    it('checks at load that the certificate and key files exist', () => {
      const missing = path.join(dir, 'nope.pem');
      expect(problemsOf({ ...REQUIRED, TEMPORAL_TLS_CERT_PATH: missing, TEMPORAL_TLS_KEY_PATH: missing })).toEqual([
        'TEMPORAL_TLS_CERT_PATH: TEMPORAL_TLS_CERT_PATH must name a file that exists',
        'TEMPORAL_TLS_KEY_PATH: TEMPORAL_TLS_KEY_PATH must name a file that exists',
      ]);
    });

    it('rejects TEMPORAL_TLS=false with a client certificate, and a server name without TLS', () => {
      expect(problemsOf({ ...REQUIRED, TEMPORAL_TLS: 'false', TEMPORAL_TLS_CERT_PATH: CERT, TEMPORAL_TLS_KEY_PATH: KEY })).toEqual([
        'TEMPORAL_TLS: TEMPORAL_TLS=false cannot be combined with an mTLS certificate',
      ]);
      expect(problemsOf({ ...REQUIRED, TEMPORAL_TLS_SERVER_NAME: 'x' })).toEqual([
        'TEMPORAL_TLS_SERVER_NAME: TEMPORAL_TLS_SERVER_NAME only applies with TLS (set TEMPORAL_TLS=true)',
      ]);
    });

    it('TEMPORAL_TLS=false keeps an API key on a plaintext connection (e.g. a local proxy)', () => {
      const config = loadConfig({ ...REQUIRED, TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' });
      expect(temporalConnectionOptions(config)).toEqual({ address: '127.0.0.1:7233', apiKey: 'k' });
    });

    it.each(['yes', '1', 'on'])('rejects the boolean %j with a hint', (value) => {
      expect(problemsOf({ ...REQUIRED, TEMPORAL_TLS: value, METRICS_ENABLED: value })).toEqual([
        'TEMPORAL_TLS: TEMPORAL_TLS must be true or false',
        'METRICS_ENABLED: METRICS_ENABLED must be true or false',
      ]);
    });

    it('reads the metrics settings', () => {
      const config = loadConfig({ ...REQUIRED, METRICS_ENABLED: 'false', WORKER_METRICS_PORT: '9100', WORKER_METRICS_BIND: '0.0.0.0' });
      expect(config).toMatchObject({ METRICS_ENABLED: false, WORKER_METRICS_PORT: 9100, WORKER_METRICS_BIND: '0.0.0.0' });
      expect(problemsOf({ ...REQUIRED, WORKER_METRICS_PORT: '70000' })[0]).toMatch(/^WORKER_METRICS_PORT: /);
    });
  });

  describe('OIDC mode of the claim by email', () => {
    it('is off by default', () => {
      const config = loadConfig(REQUIRED);
      expect(config.OIDC_ISSUER).toBeUndefined();
      expect(config.OIDC_AUDIENCE).toBeUndefined();
    });

    it('takes an https issuer with an audience, and http only on the loopback interface', () => {
      for (const issuer of ['https://accounts.example.com', 'https://id.example.com/realms/app/', 'http://localhost:8080', 'http://127.0.0.1:4444/oidc', 'http://[::1]:9000']) {
        expect(loadConfig({ ...REQUIRED, OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'app-client' })).toMatchObject({ OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'app-client' });
      }
    });

    it('refuses a plain-http or malformed issuer', () => {
      for (const issuer of ['http://accounts.example.com', 'http://10.0.0.5', 'ftp://localhost', 'accounts.example.com']) {
        expect(problemsOf({ ...REQUIRED, OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'app-client' })).toEqual([
          'OIDC_ISSUER: OIDC_ISSUER must be an https URL (http only for localhost, 127.0.0.1 or [::1])',
        ]);
      }
    });

    it('needs both or neither', () => {
      expect(problemsOf({ ...REQUIRED, OIDC_ISSUER: 'https://accounts.example.com' })).toEqual([
        'OIDC_AUDIENCE: OIDC_ISSUER and OIDC_AUDIENCE go together (set both for ID-token claims, or neither)',
      ]);
      expect(problemsOf({ ...REQUIRED, OIDC_AUDIENCE: 'app-client' })).toEqual([
        'OIDC_ISSUER: OIDC_ISSUER and OIDC_AUDIENCE go together (set both for ID-token claims, or neither)',
      ]);
    });
  });

  it('the web app is off by default; on, it needs a session secret of 32+ characters that is not an API token', () => {
    expect(loadConfig(REQUIRED)).toMatchObject({ WEB_APP_ENABLED: false, WEB_APP_DEV_SIGN_IN: false });
    expect(loadConfig(REQUIRED).WEB_APP_SESSION_SECRET).toBeUndefined();
    expect(problemsOf({ ...REQUIRED, WEB_APP_ENABLED: 'true' })).toEqual([
      'WEB_APP_SESSION_SECRET: WEB_APP_SESSION_SECRET (at least 32 characters) is required when WEB_APP_ENABLED is true',
    ]);
    expect(problemsOf({ ...REQUIRED, WEB_APP_ENABLED: 'true', WEB_APP_SESSION_SECRET: 'short' })).toEqual([
      'WEB_APP_SESSION_SECRET: WEB_APP_SESSION_SECRET must be at least 32 characters',
    ]);
    const token = 'an-app-token-of-more-than-32-characters';
    expect(problemsOf({ ...REQUIRED, APP_API_TOKEN: token, WEB_APP_ENABLED: 'true', WEB_APP_SESSION_SECRET: token })).toEqual([
      'WEB_APP_SESSION_SECRET: WEB_APP_SESSION_SECRET must differ from the API tokens',
    ]);
    expect(problemsOf({ ...REQUIRED, WEB_APP_ENABLED: 'yes' })).toEqual(['WEB_APP_ENABLED: WEB_APP_ENABLED must be true or false']);
    const on = loadConfig({ ...REQUIRED, WEB_APP_ENABLED: 'true', WEB_APP_DEV_SIGN_IN: 'true', WEB_APP_SESSION_SECRET: 's'.repeat(32), WEB_APP_API_URL: 'http://127.0.0.1:3000' });
    expect(on).toMatchObject({ WEB_APP_ENABLED: true, WEB_APP_DEV_SIGN_IN: true, WEB_APP_API_URL: 'http://127.0.0.1:3000' });
  });

  it('the schema parses the same input as loadConfig', () => {
    const parsed = configSchema.parse(REQUIRED);
    expect(parsed).toEqual(loadConfig(REQUIRED));
  });
});

describe('testConfig (suite helper)', () => {
  it('produces a valid config with the suite secrets and silent logs', () => {
    const config = testConfig({ WALLET_MINIMUM_CENTS: '500' });
    expect(config.APP_API_TOKEN).toBe(TEST_SECRETS.APP_API_TOKEN);
    expect(config.OPERATOR_API_TOKEN).toBe(TEST_SECRETS.OPERATOR_API_TOKEN);
    expect(config.LOG_LEVEL).toBe('silent');
    expect(config.WALLET_MINIMUM_CENTS).toBe(500);
  });
});
