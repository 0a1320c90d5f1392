// What `npm start` fills in when a variable is unset. Development only: these
// values are printed on every start and must never reach production.
import path from 'node:path';
import type { Config } from '../../src/config';
import { projectRoot } from '../lib/binaries';

type Defaults = Partial<Record<keyof Config, string>>;

export const LOCAL_DEFAULTS = {
  DATABASE_URL: 'postgresql://billing:billing@127.0.0.1:5432/billing',
  // stripe-mock accepts only keys shaped sk_test_<no more underscores>.
  STRIPE_SECRET_KEY: 'sk_test_LocalStripeMock',
  STRIPE_WEBHOOK_SECRET: 'whsec_local_development_secret',
  APP_API_TOKEN: 'local-dev-app-token-NOT-FOR-PRODUCTION',
  OPERATOR_API_TOKEN: 'local-dev-operator-token-NOT-FOR-PRODUCTION',
  // The reference web app at /app, with its development sign-in (choose any workspace).
  WEB_APP_ENABLED: 'true',
  WEB_APP_DEV_SIGN_IN: 'true',
  WEB_APP_SESSION_SECRET: 'local-dev-web-app-session-secret-NOT-FOR-PRODUCTION',
} satisfies Defaults;

/** Local ports, each overridable for running a second copy side by side. */
export const LOCAL_PORTS = {
  temporal: portFromEnv('TEMPORAL_DEV_PORT', 7233),
  temporalUi: portFromEnv('TEMPORAL_UI_PORT', 8233),
  stripeMock: portFromEnv('STRIPE_MOCK_PORT', 12111),
};

/**
 * Where `npm start` keeps local state between runs: the dev server's
 * workflows in `temporal.db`. Default `.data/` (git-ignored); LOCAL_DATA_DIR
 * moves it, e.g. for a second copy side by side or a test.
 */
export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOCAL_DATA_DIR ? path.resolve(env.LOCAL_DATA_DIR) : path.join(projectRoot, '.data');
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return port;
}

/** True when the variable is unset or empty (loadConfig treats both alike). */
export function isUnset(env: NodeJS.ProcessEnv, name: string): boolean {
  return env[name] === undefined || env[name] === '';
}

/** postgresql://user:***@host/db: safe to print. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
