// Where the demo finds the engine: the same environment `npm start` reads,
// with the same development defaults.
import { isUnset, LOCAL_DEFAULTS, LOCAL_PORTS } from '../start/local-defaults';
import type { DemoOptions } from './run';
import { gracePeriodFrom } from './scenarios';

/** What the demo needs to reach the engine `npm start` runs with this environment. */
export function demoOptionsFromEnv(env: NodeJS.ProcessEnv, prefix?: string): DemoOptions {
  const value = (name: keyof typeof LOCAL_DEFAULTS) => (isUnset(env, name) ? LOCAL_DEFAULTS[name] : env[name]!);
  const opsEnv: Record<string, string> = {};
  // The ops CLI defaults to 127.0.0.1:7233 and namespace default; say so when npm start moved them.
  if (!isUnset(env, 'TEMPORAL_ADDRESS')) opsEnv.TEMPORAL_ADDRESS = env.TEMPORAL_ADDRESS!;
  else if (LOCAL_PORTS.temporal !== 7233) opsEnv.TEMPORAL_ADDRESS = `127.0.0.1:${LOCAL_PORTS.temporal}`;
  if (!isUnset(env, 'TEMPORAL_NAMESPACE')) opsEnv.TEMPORAL_NAMESPACE = env.TEMPORAL_NAMESPACE!;
  if (!isUnset(env, 'TEMPORAL_TASK_QUEUE')) opsEnv.TEMPORAL_TASK_QUEUE = env.TEMPORAL_TASK_QUEUE!;
  return {
    apiUrl: (env.DEMO_API_URL || `http://127.0.0.1:${env.PORT || 3000}`).replace(/\/$/, ''),
    appToken: value('APP_API_TOKEN'),
    operatorToken: value('OPERATOR_API_TOKEN'),
    webhookSecret: value('STRIPE_WEBHOOK_SECRET'),
    gracePeriodMs: gracePeriodFrom(env),
    // With TEMPORAL_ADDRESS set, npm start runs no Web UI; the local one is the best guess otherwise.
    webUiUrl: isUnset(env, 'TEMPORAL_ADDRESS') ? `http://127.0.0.1:${LOCAL_PORTS.temporalUi}` : undefined,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    opsEnv,
    prefix,
  };
}
