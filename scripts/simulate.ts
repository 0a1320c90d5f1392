// npm run simulate -- --workspaces N --years Y --seed S [--tick-days D] [--concurrency C] [--no-shrink] [--quiet]
// Runs the year-scale simulator (test/simulation) against the real engine
// (time-skipping server, PostgreSQL test database, stripe-mock), prints the
// figures, and on a violation the seed and the shortest steps that
// reproduce it. Exit 1 on a violation.
import { parseArgs } from 'node:util';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { startSimEngine } from '../test/simulation/engine';
import { describeStep } from '../test/simulation/actions';
import { simulate } from '../test/simulation/simulator';
import { shrink } from '../test/simulation/shrink';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      workspaces: { type: 'string', default: '20' },
      years: { type: 'string', default: '1' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      'tick-days': { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '12' },
      quiet: { type: 'boolean', default: false },
      'no-shrink': { type: 'boolean', default: false },
    },
  });
  const workspaces = Number(values.workspaces);
  const years = Number(values.years);
  const seed = Number(values.seed);
  const tickDays = Number(values['tick-days']);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(workspaces) || workspaces < 1 || !(years > 0) || !Number.isInteger(seed) || !Number.isInteger(tickDays) || tickDays < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
    console.error('usage: npm run simulate -- --workspaces <N ≥ 1> --years <Y > 0> --seed <integer> [--tick-days <D ≥ 1>] [--concurrency <C ≥ 1>]');
    return 2;
  }
  await globalSetup();
  const engine = await startSimEngine(`simulate-${seed}-${Date.now()}`);
  try {
    console.log(`simulating ${workspaces} workspace(s) × ${years} year(s), seed ${seed}, ${tickDays} day(s) per tick`);
    const result = await simulate(engine, { workspaces, years, seed, tickDays, concurrency, log: values.quiet ? undefined : (line) => console.log(`  ${line}`) });
    const perYear = result.history.perWorkspace.map((n) => n / years);
    const mean = perYear.reduce((a, b) => a + b, 0) / perYear.length;
    console.log('');
    console.log(`workspace-years simulated      ${result.workspaceYears}`);
    console.log(`profiles                       ${Object.entries(result.profiles).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`wall time                      ${(result.wallMs / 1000).toFixed(1)} s`);
    console.log(`wall time per workspace-year   ${(result.wallMs / 1000 / result.workspaceYears).toFixed(3)} s   (goal < 0.5 s)`);
    console.log(`history events / ws-year       mean ${mean.toFixed(0)}, max ${Math.max(...perYear).toFixed(0)}   (goal ≤ 1,500)`);
    console.log(`time by phase                  ${Object.entries(result.phases).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}`);
    console.log(`longest workflow run           ${result.history.maxRun} events in ${result.history.runs} runs   (limit 10,240)`);
    if (result.violations.length === 0) {
      console.log('\nno invariant violated');
      return 0;
    }
    const v = result.violations[0];
    console.log(`\nVIOLATION ${v.invariant} on day ${v.day}, workspace ${v.workspaceId} (${v.profile}), seed ${seed}: ${v.detail}`);
    if (!values['no-shrink'] && v.workspaceIndex >= 0) {
      console.log('shrinking to the shortest steps that reproduce it…');
      const shortest = await shrink(engine, v, (line) => console.log(`  ${line}`));
      console.log(`\nreproduced by seed ${seed} with these ${shortest.steps.length} step(s) of one workspace:`);
      for (const step of shortest.steps) console.log(`  ${describeStep(step)}`);
    }
    return 1;
  } finally {
    await engine.close();
    await globalTeardown();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
