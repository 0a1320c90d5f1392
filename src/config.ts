// The one zod-validated view of the environment. Both processes (API and
// worker) call loadConfig() at start and fail fast with every problem listed.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from './domain/duration';
import { DEFAULT_WALLET_MINIMUM_CENTS } from './domain/wallet';
import { DEFAULT_AUTO_TOP_UP_MAX_PER_DAY } from './domain/auto-top-up';

const duration = (name: string) =>
  z.string().transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `${name} must look like 7d, 36h, 30m, 10s or 500ms` });
      return z.NEVER;
    }
    return ms;
  });

const durationList = (name: string) =>
  z.string().transform((value, ctx) => {
    const parts = value.split(',').map((p) => p.trim()).filter(Boolean);
    const out = parts.map(parseDuration);
    if (out.some((ms) => ms === null)) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a comma-separated list like 0d,3d,6d` });
      return z.NEVER;
    }
    return (out as number[]).sort((a, b) => a - b);
  });

const httpUrl = z.url({ protocol: /^https?$/ });

/** An identity provider's URL: https, or http on the loopback interface only (a local provider in tests). */
export function isAcceptableIssuerUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** 'true' or 'false' (case-insensitive); anything else is an error, not false. */
const booleanish = (name: string) =>
  z.string().transform((value, ctx) => {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    ctx.addIssue({ code: 'custom', message: `${name} must be true or false` });
    return z.NEVER;
  });

/**
 * A Standard Webhooks signing secret: `whsec_` and the key in base64, 24 to
 * 64 bytes (the specification's bounds; e.g. `whsec_` + 32 random bytes in base64).
 */
const webhookSecret = z.string().superRefine((value, ctx) => {
  const problem = (message: string) => ctx.addIssue({ code: 'custom', message: `OUTBOUND_WEBHOOK_SECRET ${message}` });
  if (!value.startsWith('whsec_')) return problem('must look like whsec_<base64 key>');
  const key = value.slice('whsec_'.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.length % 4 !== 0) return problem('must be whsec_ followed by a base64 key');
  const bytes = Buffer.from(key, 'base64').length;
  if (bytes < 24 || bytes > 64) problem(`must carry a key of 24 to 64 bytes (got ${bytes})`);
});

/** A path to a file that exists now (checked at load, so a typo fails at start). */
const existingFile = (name: string) =>
  z.string().refine((p) => existsSync(p), { message: `${name} must name a file that exists` });

export const configSchema = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgresql:// URL')
      .default('postgresql://billing:billing@127.0.0.1:5432/billing'),
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('billing'),
    // Temporal Cloud (or any TLS frontend): an API key, or an mTLS client
    // certificate and key. TEMPORAL_TLS unset means "on when a key or
    // certificate is given".
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TEMPORAL_TLS: booleanish('TEMPORAL_TLS').optional(),
    TEMPORAL_TLS_CERT_PATH: existingFile('TEMPORAL_TLS_CERT_PATH').optional(),
    TEMPORAL_TLS_KEY_PATH: existingFile('TEMPORAL_TLS_KEY_PATH').optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_/, 'STRIPE_SECRET_KEY must start with sk_test_, sk_live_, rk_test_ or rk_live_'),
    STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_', 'STRIPE_WEBHOOK_SECRET must start with whsec_'),
    STRIPE_API_URL: httpUrl.optional(),
    APP_API_TOKEN: z.string().min(16, 'APP_API_TOKEN must be at least 16 characters'),
    OPERATOR_API_TOKEN: z.string().min(16, 'OPERATOR_API_TOKEN must be at least 16 characters'),
    BILLING_GRACE_PERIOD: duration('BILLING_GRACE_PERIOD').default(7 * 86_400_000),
    BILLING_DUNNING_REMINDERS: durationList('BILLING_DUNNING_REMINDERS').default([0, 3 * 86_400_000, 6 * 86_400_000]),
    WALLET_MINIMUM_CENTS: z.coerce.number().int().min(0).default(DEFAULT_WALLET_MINIMUM_CENTS),
    /** Auto top-up charges per workspace per UTC day, at most (docs/auto-top-up.md). */
    AUTO_TOP_UP_MAX_PER_DAY: z.coerce.number().int().min(0).max(100).default(DEFAULT_AUTO_TOP_UP_MAX_PER_DAY),
    CHECKOUT_SESSION_TTL: duration('CHECKOUT_SESSION_TTL')
      .refine((ms) => ms >= 30 * 60_000 && ms <= 24 * 3_600_000, 'CHECKOUT_SESSION_TTL must be between 30m and 24h (Stripe limits)')
      .default(24 * 3_600_000),
    /** A guest checkout paid but not claimed this long is flagged for operators (it is never dropped). */
    GUEST_CHECKOUT_FLAG_AFTER: duration('GUEST_CHECKOUT_FLAG_AFTER')
      .refine((ms) => ms >= 60_000, 'GUEST_CHECKOUT_FLAG_AFTER must be at least 1m')
      .default(30 * 86_400_000),
    /** How long the first answer to a request sent with an Idempotency-Key is kept for its retries. */
    IDEMPOTENCY_KEY_TTL: duration('IDEMPOTENCY_KEY_TTL')
      .refine((ms) => ms >= 3_600_000, 'IDEMPOTENCY_KEY_TTL must be at least 1h')
      .default(7 * 86_400_000),
    PUBLIC_SALES_CONTACT_URL: httpUrl.default('https://example.com/contact-sales'),
    /**
     * OIDC mode of the claim by email (both or neither): the claim then takes an ID token from this
     * issuer for this audience (client id), verified against the issuer's JWKS, and refuses a bare email.
     */
    OIDC_ISSUER: z
      .string()
      .refine(isAcceptableIssuerUrl, 'OIDC_ISSUER must be an https URL (http only for localhost, 127.0.0.1 or [::1])')
      .optional(),
    OIDC_AUDIENCE: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** GET /metrics on the API and the worker's Prometheus exporter. */
    METRICS_ENABLED: booleanish('METRICS_ENABLED').default(true),
    WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9464),
    WORKER_METRICS_BIND: z.string().min(1).default('127.0.0.1'),
    /** Outbound webhooks to the product app (Standard Webhooks); unset URL: notifications are recorded, not sent. */
    OUTBOUND_WEBHOOK_URL: httpUrl.optional(),
    OUTBOUND_WEBHOOK_SECRET: webhookSecret.optional(),
    OUTBOUND_WEBHOOK_TIMEOUT: duration('OUTBOUND_WEBHOOK_TIMEOUT')
      .refine((ms) => ms >= 100 && ms <= 300_000, 'OUTBOUND_WEBHOOK_TIMEOUT must be between 100ms and 5m')
      .default(10_000),
    OUTBOUND_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
    OUTBOUND_WEBHOOK_RETRY_INITIAL: duration('OUTBOUND_WEBHOOK_RETRY_INITIAL')
      .refine((ms) => ms >= 10, 'OUTBOUND_WEBHOOK_RETRY_INITIAL must be at least 10ms')
      .default(30_000),
    OUTBOUND_WEBHOOK_RETRY_MAX: duration('OUTBOUND_WEBHOOK_RETRY_MAX')
      .refine((ms) => ms <= 7 * 86_400_000, 'OUTBOUND_WEBHOOK_RETRY_MAX must be at most 7d')
      .default(6 * 3_600_000),
    /** The reference web app (pricing page and billing dashboard) at /app; `npm start` turns it on. */
    WEB_APP_ENABLED: booleanish('WEB_APP_ENABLED').default(false),
    /** Signs the web app's session cookies and CSRF tokens: at least 32 characters, required with WEB_APP_ENABLED. */
    WEB_APP_SESSION_SECRET: z.string().min(32, 'WEB_APP_SESSION_SECRET must be at least 32 characters').optional(),
    /** The web app's development sign-in (choose any workspace): never in production. */
    WEB_APP_DEV_SIGN_IN: booleanish('WEB_APP_DEV_SIGN_IN').default(false),
    /** The API the web app calls; default: the server the request came in on. */
    WEB_APP_API_URL: httpUrl.optional(),
    /** Cron of the reconciliation Schedule the worker ensures at start (UTC), or 'off'. */
    RECONCILIATION_SCHEDULE: z
      .string()
      .trim()
      .refine((v) => v === 'off' || v.split(/\s+/).length === 5 || v.startsWith('@'), "RECONCILIATION_SCHEDULE must be a cron expression like '0 3 * * *' or off")
      .default('0 3 * * *'),
  })
  .superRefine((c, ctx) => {
    if (c.APP_API_TOKEN === c.OPERATOR_API_TOKEN) {
      ctx.addIssue({ code: 'custom', message: 'OPERATOR_API_TOKEN must differ from APP_API_TOKEN', path: ['OPERATOR_API_TOKEN'] });
    }
    const cert = c.TEMPORAL_TLS_CERT_PATH !== undefined;
    const key = c.TEMPORAL_TLS_KEY_PATH !== undefined;
    if (cert && !key) {
      ctx.addIssue({ code: 'custom', message: 'TEMPORAL_TLS_CERT_PATH needs TEMPORAL_TLS_KEY_PATH (mTLS takes both)', path: ['TEMPORAL_TLS_KEY_PATH'] });
    }
    if (key && !cert) {
      ctx.addIssue({ code: 'custom', message: 'TEMPORAL_TLS_KEY_PATH needs TEMPORAL_TLS_CERT_PATH (mTLS takes both)', path: ['TEMPORAL_TLS_CERT_PATH'] });
    }
    if ((c.OIDC_ISSUER === undefined) !== (c.OIDC_AUDIENCE === undefined)) {
      const missing = c.OIDC_ISSUER === undefined ? 'OIDC_ISSUER' : 'OIDC_AUDIENCE';
      ctx.addIssue({ code: 'custom', message: 'OIDC_ISSUER and OIDC_AUDIENCE go together (set both for ID-token claims, or neither)', path: [missing] });
    }
    if (c.TEMPORAL_API_KEY !== undefined && (cert || key)) {
      ctx.addIssue({
        code: 'custom',
        message: 'use either TEMPORAL_API_KEY or an mTLS certificate (TEMPORAL_TLS_CERT_PATH/TEMPORAL_TLS_KEY_PATH), not both',
        path: ['TEMPORAL_API_KEY'],
      });
    }
    if (c.TEMPORAL_TLS === false && (cert || key)) {
      ctx.addIssue({ code: 'custom', message: 'TEMPORAL_TLS=false cannot be combined with an mTLS certificate', path: ['TEMPORAL_TLS'] });
    }
    if (c.OUTBOUND_WEBHOOK_URL !== undefined && c.OUTBOUND_WEBHOOK_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', message: 'OUTBOUND_WEBHOOK_SECRET (whsec_<base64 key>) is required when OUTBOUND_WEBHOOK_URL is set', path: ['OUTBOUND_WEBHOOK_SECRET'] });
    }
    if (c.OUTBOUND_WEBHOOK_RETRY_MAX < c.OUTBOUND_WEBHOOK_RETRY_INITIAL) {
      ctx.addIssue({ code: 'custom', message: 'OUTBOUND_WEBHOOK_RETRY_MAX must not be shorter than OUTBOUND_WEBHOOK_RETRY_INITIAL', path: ['OUTBOUND_WEBHOOK_RETRY_MAX'] });
    }
    if (c.WEB_APP_ENABLED && c.WEB_APP_SESSION_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', message: 'WEB_APP_SESSION_SECRET (at least 32 characters) is required when WEB_APP_ENABLED is true', path: ['WEB_APP_SESSION_SECRET'] });
    }
    if (c.WEB_APP_SESSION_SECRET !== undefined && (c.WEB_APP_SESSION_SECRET === c.APP_API_TOKEN || c.WEB_APP_SESSION_SECRET === c.OPERATOR_API_TOKEN)) {
      ctx.addIssue({ code: 'custom', message: 'WEB_APP_SESSION_SECRET must differ from the API tokens', path: ['WEB_APP_SESSION_SECRET'] });
    }
    const tls = c.TEMPORAL_TLS ?? (c.TEMPORAL_API_KEY !== undefined || cert);
    if (c.TEMPORAL_TLS_SERVER_NAME !== undefined && !tls) {
      ctx.addIssue({ code: 'custom', message: 'TEMPORAL_TLS_SERVER_NAME only applies with TLS (set TEMPORAL_TLS=true)', path: ['TEMPORAL_TLS_SERVER_NAME'] });
    }
  })
  // TEMPORAL_TLS resolved: explicit value, else on with an API key or a client certificate.
  .transform((c) => ({
    ...c,
    TEMPORAL_TLS: c.TEMPORAL_TLS ?? (c.TEMPORAL_API_KEY !== undefined || c.TEMPORAL_TLS_CERT_PATH !== undefined),
  }));

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as they do for most twelve-factor tools.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = issue.path.join('.') || 'environment';
        const message = issue.code === 'invalid_type' && cleaned[key] === undefined ? 'is required' : issue.message;
        return `${key}: ${message}`;
      }),
    );
  }
  return result.data;
}
