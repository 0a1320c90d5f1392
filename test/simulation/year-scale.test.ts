// The simulator as a test: years of randomized workspace lives through the
// real engine must break no invariant, and the simulator must catch (and
// shrink) a planted bug. Size: SIM_WORKSPACES × SIM_YEARS workspace-years,
// SIM_TICK_DAYS days per tick, seed SIM_SEED (fixed by default, so CI is
// repeatable; any seed must pass). The default, 15 workspaces living 2
// years each (30 workspace-years) in weekly ticks, is what fits the suite's
// time on a 2-core CI machine (about 4 s per workspace-year,
// docs/benchmarks.md); larger runs go through `npm run simulate`.
import { describeStep, type Step } from './actions';
import { startSimEngine, type SimEngine } from './engine';
import { shrink } from './shrink';
import { simulate } from './simulator';

const WORKSPACES = Number(process.env.SIM_WORKSPACES ?? 15);
const YEARS = Number(process.env.SIM_YEARS ?? 2);
const TICK_DAYS = Number(process.env.SIM_TICK_DAYS ?? 7);
const SEED = Number(process.env.SIM_SEED ?? 20261129);

let engine: SimEngine;

beforeAll(async () => {
  engine = await startSimEngine(`year-scale-${Date.now()}`);
}, 120_000);

afterAll(async () => {
  await engine?.close();
});

test('a planted double credit is caught, with the seed and the one step that reproduces it', async () => {
  const steps: Step[] = [
    { day: 0, action: { kind: 'checkout', plan: 'plus', interval: 'month', retries: 0 } },
    { day: 0, action: { kind: 'payCheckout', outcome: 'paid' } },
    { day: 3, action: { kind: 'usage', batches: 1, size: 4, resend: false } },
    { day: 6, action: { kind: 'fault', what: 'stray_grant' } },
    { day: 9, action: { kind: 'grant', amountCents: 500 } },
  ];
  const result = await simulate(engine, { workspaces: 1, years: 12 / 365, seed: 1, tickDays: 3, scripts: { workspaces: [steps], seeds: [1] } });
  expect(result.violations.map((v) => [v.invariant, v.day])).toEqual([['grant_once', 6]]);
  const shortest = await shrink(engine, result.violations[0]);
  expect(shortest.steps).toEqual([steps[3]]);
}, 600_000);

test(`${WORKSPACES * YEARS} workspace-years of random lives break no invariant`, async () => {
  const result = await simulate(engine, { workspaces: WORKSPACES, years: YEARS, seed: SEED, tickDays: TICK_DAYS, concurrency: 16 });
  const perYear = result.history.perWorkspace.map((n) => n / YEARS);
  console.log(
    [
      `simulated ${result.workspaceYears} workspace-years (seed ${SEED}, ${TICK_DAYS}-day ticks) in ${(result.wallMs / 1000).toFixed(0)} s: ${(result.wallMs / 1000 / result.workspaceYears).toFixed(2)} s per workspace-year`,
      `history events per workspace-year: mean ${(perYear.reduce((a, b) => a + b, 0) / perYear.length).toFixed(0)}, max ${Math.max(...perYear)}; longest run ${result.history.maxRun} events over ${result.history.runs} runs`,
      `profiles: ${JSON.stringify(result.profiles)}`,
    ].join('\n'),
  );
  const first = result.violations[0];
  const report = first ? [`${first.invariant} on day ${first.day} (seed ${SEED}, workspace ${first.workspaceIndex}): ${first.detail}`, ...first.steps.map(describeStep)] : [];
  expect(report).toEqual([]);
  expect(result.history.maxRun).toBeLessThan(10_240);
}, 3_600_000);
