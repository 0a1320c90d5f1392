import { Router } from 'express';
import type { PrismaClient } from '@prisma/client';

export function healthRouter(deps: { prisma: PrismaClient; temporal: { ping(): Promise<void> } }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const check = async (work: () => Promise<unknown>) => {
      try {
        await work();
        return 'ok';
      } catch (err) {
        return `unavailable: ${err instanceof Error ? err.message : String(err)}`;
      }
    };
    const [database, temporal] = await Promise.all([check(() => deps.prisma.$queryRaw`SELECT 1`), check(() => deps.temporal.ping())]);
    const ready = database === 'ok' && temporal === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { database, temporal } });
  });
  return router;
}
