// `npm run demo` (and `npm start -- --demo`): fills a running engine with
// the workspaces of ./scenarios.ts through its public API and signed Stripe
// events, then prints where to look at each: its /billing, the Temporal Web
// UI filtered to its workflows, and the ops CLI command. Running it again
// changes nothing (see ./steps.ts).
import type { BillingView } from '../../src/domain/projection';
import { guestWorkflowIdFor } from '../../workflows/guest-definitions';
import { walletWorkflowIdFor } from '../../workflows/wallet-definitions';
import { LOCAL_DEFAULTS } from '../start/local-defaults';
import { EngineClient, type EngineTarget } from './engine-client';
import { SCENARIOS } from './scenarios';
import { askAccess, billing, findGuest, type AccessAnswer, type DemoContext } from './steps';

export interface DemoOptions extends EngineTarget {
  /** Workspace ids are `<prefix>-<name>`; default `demo`. */
  prefix?: string;
  /** The engine's BILLING_GRACE_PERIOD (ms). */
  gracePeriodMs: number;
  /** Temporal Web UI base URL, e.g. http://127.0.0.1:8233 (none: no UI link). */
  webUiUrl?: string;
  namespace?: string;
  /** Environment to put in front of `npm run ops` when the engine is not on the CLI's defaults. */
  opsEnv?: Record<string, string>;
  /** Progress and report lines (default: stdout). */
  print?: (line: string) => void;
  /** Start of the run; event times derive from it (tests pass their own). */
  nowMs?: number;
}

export interface DemoEntry {
  name: string;
  title: string;
  kind: 'workspace' | 'guest';
  project?: string;
  /** The workspace id, or the guest checkout id. */
  id: string;
  billingUrl?: string;
  webUiUrl?: string;
  opsCommand: string;
  /** One line of what the engine says now. */
  now: string;
}

const DAY_MS = 86_400_000;

export async function runDemo(options: DemoOptions): Promise<DemoEntry[]> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const prefix = options.prefix ?? 'demo';
  const client = new EngineClient(options);
  await client.assertReachable();
  const ctx: DemoContext = {
    client,
    nowMs: options.nowMs ?? Date.now(),
    gracePeriodMs: options.gracePeriodMs,
    progress: (message) => print(`  · ${message}`),
  };
  print(`Creating the demo workspaces on ${options.apiUrl} (prefix "${prefix}"); existing ones are left as they are.`);
  const entries: DemoEntry[] = [];
  for (const scenario of SCENARIOS) {
    const name = `${prefix}-${scenario.name}`;
    const id = await scenario.run(ctx, name);
    if (scenario.name === 'grace') checkGracePeriod(ctx, await billing(ctx, id), print);
    entries.push(await describe(ctx, options, { name: scenario.name, title: scenario.title, kind: scenario.kind, project: scenario.project, id }));
  }
  print('');
  print(report(entries, options));
  return entries;
}

/** The demo dates failures with the grace period it was given: say so when the engine uses another. */
function checkGracePeriod(ctx: DemoContext, b: BillingView, print: (line: string) => void): void {
  if (!b.grace?.startedAt || !b.grace.endsAt) return;
  const actual = Date.parse(b.grace.endsAt) - Date.parse(b.grace.startedAt);
  if (actual === ctx.gracePeriodMs) return;
  print(`  ! the engine's grace period is ${actual / DAY_MS} days, not ${ctx.gracePeriodMs / DAY_MS}: using it (run the demo with the engine's BILLING_GRACE_PERIOD)`);
  ctx.gracePeriodMs = actual;
}

const dollars = (cents: number) => `${cents < 0 ? '-' : ''}$${(Math.abs(cents) / 100).toFixed(2)}`;

function summarize(b: BillingView, project?: { id: string; answer: AccessAnswer }): string {
  const parts = [`${b.plan.id}${b.plan.interval ? ` (${b.plan.interval})` : ''}`, b.status, b.mode];
  const production = project?.answer ?? b.production;
  const which = project ? `production (${project.id})` : 'production';
  parts.push(production.allowed ? `${which} allowed` : `${which} blocked: ${production.reasons.join(', ')}`);
  parts.push(`wallet ${dollars(b.wallet.balanceCents)}`);
  if (b.grace) parts.push(b.grace.expired ? `grace ended ${b.grace.endsAt}` : `grace until ${b.grace.endsAt}`);
  if (b.pendingChange) parts.push(`→ ${b.pendingChange.targetPlanId} (${b.pendingChange.interval}) at ${b.pendingChange.effectiveAt}`);
  return parts.join(' · ');
}

async function describe(ctx: DemoContext, options: DemoOptions, e: Omit<DemoEntry, 'billingUrl' | 'webUiUrl' | 'opsCommand' | 'now'>): Promise<DemoEntry> {
  const ops = `${Object.entries(options.opsEnv ?? {}).map(([k, v]) => `${k}=${v} `).join('')}npm run ops --`;
  const ui = (query: string) =>
    options.webUiUrl ? `${options.webUiUrl}/namespaces/${encodeURIComponent(options.namespace ?? 'default')}/workflows?query=${encodeURIComponent(query)}` : undefined;
  if (e.kind === 'guest') {
    const guest = await findGuest(ctx, (g) => g.checkoutId === e.id);
    return {
      ...e,
      webUiUrl: ui(`WorkflowId = "${guestWorkflowIdFor(e.id)}"`),
      opsCommand: `${ops} show-guest ${e.id}`,
      now: guest ? `${guest.status}, unclaimed · ${guest.planId} (${guest.interval}) · ${guest.email}` : 'not listed',
    };
  }
  return {
    ...e,
    billingUrl: `${options.apiUrl}/v1/workspaces/${e.id}/billing`,
    // The workspace's workflow by its search attribute, and its wallet workflow beside it.
    webUiUrl: ui(`WorkspaceId = "${e.id}" OR WorkflowId = "${walletWorkflowIdFor(e.id)}"`),
    opsCommand: `${ops} show ${e.id}`,
    now: summarize(await billing(ctx, e.id), e.project ? { id: e.project, answer: await askAccess(ctx, e.id, e.project) } : undefined),
  };
}

export function report(entries: DemoEntry[], options: Pick<DemoOptions, 'appToken'>): string {
  const lines = ['Demo workspaces:', ''];
  for (const e of entries) {
    lines.push(e.kind === 'guest' ? `guest checkout ${e.id}` : e.id, `  ${e.title}`, `  now      ${e.now}`);
    if (e.billingUrl) lines.push(`  billing  ${e.billingUrl}`);
    if (e.webUiUrl) lines.push(`  web ui   ${e.webUiUrl}`);
    lines.push(`  ops      ${e.opsCommand}`, '');
  }
  // Only the printed development default is shown; a token from the environment stays out of the terminal.
  const token = options.appToken === LOCAL_DEFAULTS.APP_API_TOKEN ? options.appToken : '$APP_API_TOKEN';
  lines.push(`/billing needs the app token: curl -H 'Authorization: Bearer ${token}' <billing link>`);
  lines.push('Running the demo again changes nothing; a new --prefix creates another set.');
  return lines.join('\n');
}
