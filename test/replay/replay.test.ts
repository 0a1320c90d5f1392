// Saved histories must replay against the current workflow code: a change
// that would break workflows already running in production fails here.
// Histories are recorded by test/replay/record-histories.ts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle, quietTemporalRuntime } from '../support/temporal';

const dir = path.join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.binpb'));

test('there are saved histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(5);
});

test.each(files)('%s replays without nondeterminism', async (file) => {
  quietTemporalRuntime();
  const history = temporal.api.history.v1.History.decode(readFileSync(path.join(dir, file)));
  await expect(
    Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file.replace(/\.binpb$/, '')),
  ).resolves.toBeUndefined();
});
