// Saved histories must replay against the current workflow code: a change
// that would break workflows already running in production fails here.
// Histories are recorded by test/replay/record-histories.ts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { startReplayer, type Replayer } from '../support/replayer';
import { workflowBundle } from '../support/temporal';

const dir = path.join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.binpb'));

// On a thread of its own: replaying here would leave the SDK's promise hook on this jest worker (replayer.ts).
let replayer: Replayer;
beforeAll(async () => {
  replayer = startReplayer(await workflowBundle());
});
afterAll(() => replayer?.close());

test('there are saved histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(5);
});

test.each(files)('%s replays without nondeterminism', async (file) => {
  const history = temporal.api.history.v1.History.decode(readFileSync(path.join(dir, file)));
  expect(await replayer.replay([{ workflowId: file.replace(/\.binpb$/, ''), history }])).toEqual([]);
});

test('a history that does not match the code is reported, with the reason', async () => {
  const history = temporal.api.history.v1.History.decode(readFileSync(path.join(dir, files[0])));
  // An activity the code schedules is missing from the history: the commands no longer match the events.
  history.events!.splice(history.events!.findIndex((e, i) => i > 3 && e.activityTaskScheduledEventAttributes), 1);
  const failures = await replayer.replay([{ workflowId: 'tampered', history }]);
  expect(failures.map((f) => f.workflowId)).toEqual(['tampered']);
  expect(failures[0].error).toMatch(/Replay|nondetermin|out of order/i);
});
