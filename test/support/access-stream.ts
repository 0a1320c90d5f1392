// Helpers for tests of the access change stream: an engine API (the real app,
// the access service LISTENing on the test database, the change hub) on a
// loopback port with an unreachable Temporal, a raw SSE reader, and seeding
// of the projection rows that are a workspace's access inputs.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { createAccessService, type AccessService } from '../../src/access/access-service';
import { createAccessChangeHub, type AccessChangeHub, type AccessChangeHubOptions } from '../../src/access/change-hub';
import { SseParser, type SseEvent } from '../../src/access-client/sse';
import { createApp } from '../../src/api/app';
import { createLogger } from '../../src/infra/logger';
import type { PrismaClient } from '../../src/infra/prisma';
import { createStripeClient } from '../../src/infra/stripe-client';
import { WorkspaceClient } from '../../src/temporal/workspace-client';
import { uniqueId } from './db';
import { TEST_DATABASE_URL, testConfig } from './test-env';

export interface StreamEngine {
  url: string;
  server: Server;
  access: AccessService;
  hub: AccessChangeHub;
  /** Ends every open connection (streams included), as a crashing proxy would. */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startStreamEngine(prisma: PrismaClient, hubOptions: Partial<AccessChangeHubOptions> = {}): Promise<StreamEngine> {
  const config = testConfig();
  const access = createAccessService({ prisma, databaseUrl: TEST_DATABASE_URL, walletMinimumCents: config.WALLET_MINIMUM_CENTS, ttlMs: 60_000 });
  await access.start();
  const hub = createAccessChangeHub({ prisma, access, walletMinimumCents: config.WALLET_MINIMUM_CENTS, ...hubOptions });
  hub.start();
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
  const workspaces = new WorkspaceClient(new TemporalClient({ connection }), 'access-stream-test');
  const app = createApp({
    prisma,
    stripe: createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL),
    workspaces,
    access,
    changes: hub,
    log: createLogger('silent'),
    config,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    access,
    hub,
    dropConnections: () => server.closeAllConnections(),
    async close() {
      hub.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await access.stop();
      await connection.close().catch(() => undefined);
    },
  };
}

/** A raw reader of GET /v1/access/changes: every event kept in order, waits by condition. */
export interface RawStream {
  status: number;
  events: SseEvent[];
  /** Resolves with the first event (from index `from`) that `match` accepts. */
  next(match: (e: SseEvent) => boolean, from?: number): Promise<SseEvent>;
  close(): void;
  readonly ended: boolean;
}

export async function openRawStream(url: string, headers: Record<string, string>): Promise<RawStream> {
  const controller = new AbortController();
  const response = await fetch(`${url}/v1/access/changes`, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  if (response.ok && response.body) {
    const reader = response.body.getReader();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          events.push(...parser.feed(decoder.decode(value, { stream: true })));
          waiters.forEach((w) => w());
        }
      } catch {
        // aborted
      } finally {
        ended = true;
        waiters.forEach((w) => w());
      }
    })();
  } else {
    ended = true;
  }
  return {
    status: response.status,
    events,
    next(match, from = 0) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const found = events.slice(from).find(match);
          if (found) {
            waiters.delete(look);
            resolve(found);
          } else if (ended) {
            waiters.delete(look);
            reject(new Error(`the stream ended without the event; got ${events.map((e) => e.event).join(', ')}`));
          }
        };
        waiters.add(look);
        look();
      });
    },
    close: () => controller.abort(),
    get ended() {
      return ended;
    },
  };
}

export const parsed = (e: SseEvent) => JSON.parse(e.data) as Record<string, unknown>;
export const isWorkspace = (workspaceId: string) => (e: SseEvent) => e.event === 'workspace' && parsed(e).workspaceId === workspaceId;

export interface AccessSeed {
  planId?: 'essential' | 'plus' | 'family' | 'business' | 'enterprise';
  balanceCents?: number;
  projects?: string[];
}

/** A workspace with a billing row, a wallet and production projects, as the activities would write them. */
export async function seedAccess(prisma: PrismaClient, s: AccessSeed = {}): Promise<string> {
  const workspaceId = uniqueId('acs');
  const planId = s.planId ?? 'plus';
  await prisma.workspaceBilling.create({
    data: {
      workspaceId,
      planId,
      interval: planId === 'essential' ? null : 'month',
      status: planId === 'essential' ? 'none' : 'active',
      mode: 'self_serve',
      version: 1,
    },
  });
  await prisma.walletBalance.create({ data: { workspaceId, balanceCents: BigInt(s.balanceCents ?? 5_000) } });
  for (const projectId of s.projects ?? []) await prisma.productionProject.create({ data: { workspaceId, projectId } });
  return workspaceId;
}
