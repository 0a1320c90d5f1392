// `npm run demo [-- --prefix <name>]`: fills the engine that `npm start` runs
// with named demo workspaces in every interesting billing state, through its
// public API and signed Stripe events (scripts/demo/). Reads the same
// environment as `npm start`, with the same development defaults: PORT,
// APP_API_TOKEN, OPERATOR_API_TOKEN, STRIPE_WEBHOOK_SECRET,
// BILLING_GRACE_PERIOD, TEMPORAL_UI_PORT, TEMPORAL_NAMESPACE; DEMO_API_URL
// names another API address.
import { DemoError } from './demo/engine-client';
import { demoOptionsFromEnv } from './demo/options';
import { runDemo } from './demo/run';

const USAGE = 'usage: npm run demo [-- --prefix <name>]   (workspace ids are <prefix>-<scenario>; default prefix "demo")';

function parsePrefix(argv: string[]): string | undefined {
  if (argv.length === 0) return undefined;
  const [flag, value] = argv[0].includes('=') ? argv[0].split('=', 2) : [argv[0], argv[1]];
  if (flag !== '--prefix' || !value || argv.length > (argv[0].includes('=') ? 1 : 2)) throw new DemoError(USAGE);
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/.test(value)) throw new DemoError('--prefix: 1-40 letters, digits, "_" or "-"');
  return value;
}

(async () => {
  await runDemo(demoOptionsFromEnv(process.env, parsePrefix(process.argv.slice(2))));
})().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
