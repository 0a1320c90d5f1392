// The operator's view: the Temporal Web UI served by the dev server, opened
// in Debian's Chromium (driven by playwright-core), lists a workspace
// workflow found by a search-attribute query. No worker is needed: the UI
// lists a started workflow whether or not anything runs it.
//
// Chromium comes from `npm run setup` (apt-get install chromium) or
// CHROMIUM_PATH. Without it this test fails, it does not skip.
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/dev-servers';
import { searchAttributes } from '../../workflows/definitions';
import { launchChromium, type LaunchedBrowser } from '../support/chromium';
import { uniqueId } from '../support/db';

let temporal: TemporalDevServer;
let connection: Connection;
let browser: LaunchedBrowser | undefined;

beforeAll(async () => {
  temporal = await startTemporalDevServer({ headless: false });
  connection = await Connection.connect({ address: temporal.address });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await connection?.close();
  await temporal?.stop();
});

test('the Web UI finds a workspace workflow by a search-attribute query', async () => {
  expect(temporal.uiUrl).toBeDefined();

  const workspaceId = uniqueId('ws-ui');
  const workflowId = `workspace/${workspaceId}`;
  const client = new Client({ connection, namespace: temporal.namespace });
  // Also a second workspace, which the query must leave out.
  const otherId = uniqueId('ws-ui-other');
  for (const id of [workspaceId, otherId]) {
    await client.workflow.start('workspaceWorkflow', {
      workflowId: `workspace/${id}`,
      taskQueue: 'web-ui-test-no-worker',
      args: [{ workspaceId: id }],
      typedSearchAttributes: [
        { key: searchAttributes.workspaceId, value: id },
        { key: searchAttributes.planId, value: 'essential' },
      ],
    });
  }

  browser = await launchChromium({ width: 1400, height: 900 });
  const { context } = browser;
  const page = context.pages()[0] ?? (await context.newPage());
  const query = `WorkspaceId = '${workspaceId}'`;
  const url = `${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows?query=${encodeURIComponent(query)}`;

  // Visibility is eventually consistent: reload until the list shows it.
  const deadline = Date.now() + 45_000;
  for (;;) {
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    try {
      await page.getByText(workflowId, { exact: true }).first().waitFor({ state: 'visible', timeout: 10_000 });
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await page.screenshot({ path: path.join(tmpdir(), 'web-ui-test-failure.png'), fullPage: true });
        throw err;
      }
    }
  }
  await page.screenshot({ path: path.join(tmpdir(), 'web-ui-test.png'), fullPage: true });

  // The query, not just the page, selected it: the other workspace is not listed.
  expect(await page.getByText(`workspace/${otherId}`).count()).toBe(0);
  expect(await page.getByText('workspaceWorkflow').count()).toBeGreaterThan(0);
}, 120_000);
