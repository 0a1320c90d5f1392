import { Router } from 'express';
import { rateCard } from '../../domain/plans';

export function plansRouter(): Router {
  const router = Router();
  const card = rateCard();
  router.get('/plans', (_req, res) => {
    res.json(card);
  });
  return router;
}
