import fc from 'fast-check';
import { dunningStages, evaluateDunning, openGrace, type DunningPolicy, type GraceWindow } from '../../src/domain/dunning';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 9, 30, 0);

const policy: DunningPolicy = { gracePeriodMs: 7 * DAY, reminderOffsetsMs: [0, 3 * DAY, 6 * DAY] };

const window = (overrides: Partial<GraceWindow> = {}): GraceWindow => ({ ...openGrace(T0, policy), ...overrides });
const sent = (...offsets: number[]) => window({ remindersSent: offsets });

describe('dunningStages', () => {
  it('billing_recovery from the start, enforced_recovery at the end of the grace period', () => {
    expect(dunningStages(policy)).toEqual([
      { name: 'billing_recovery', after: 0, effects: { blockChanges: true, hardBlock: false } },
      { name: 'enforced_recovery', after: 7 * DAY, effects: { blockChanges: true, hardBlock: true } },
    ]);
  });

  it('follow a configured grace period', () => {
    expect(dunningStages({ gracePeriodMs: 36 * HOUR, reminderOffsetsMs: [] })[1].after).toBe(36 * HOUR);
  });
});

describe('openGrace', () => {
  it('records absolute start and end timestamps', () => {
    expect(openGrace(T0, policy)).toEqual({ startedAt: T0, endsAt: T0 + 7 * DAY, expired: false, remindersSent: [] });
    expect(openGrace(T0, { ...policy, gracePeriodMs: 2 * DAY }).endsAt).toBe(T0 + 2 * DAY);
  });
});

describe('evaluateDunning', () => {
  describe('stages', () => {
    it.each([
      ['before the window (clock skew)', -HOUR, 'billing_recovery'],
      ['at the start', 0, 'billing_recovery'],
      ['mid-window', 3 * DAY + HOUR, 'billing_recovery'],
      ['a millisecond before the end', 7 * DAY - 1, 'billing_recovery'],
      ['at the end', 7 * DAY, 'enforced_recovery'],
      ['long after the end', 40 * DAY, 'enforced_recovery'],
    ])('%s (+%d ms) → %s', (_, at, stage) => {
      expect(evaluateDunning(window(), policy, T0 + at).stage.name).toBe(stage);
    });

    it('an expired window is enforced_recovery whenever it is evaluated', () => {
      expect(evaluateDunning(window({ expired: true }), policy, T0 + DAY).stage.name).toBe('enforced_recovery');
    });

    it('the stages carry their effects', () => {
      expect(evaluateDunning(window(), policy, T0).stage.effects).toEqual({ blockChanges: true, hardBlock: false });
      expect(evaluateDunning(window(), policy, T0 + 7 * DAY).stage.effects).toEqual({ blockChanges: true, hardBlock: true });
    });
  });

  describe('reminders at 0d, 3d, 6d of a 7d window', () => {
    it('before the start: nothing due, the first reminder is next', () => {
      expect(evaluateDunning(window(), policy, T0 - HOUR)).toMatchObject({ dueReminders: [], nextAt: T0 });
    });

    it('at the start: the 0d reminder is due, then 3d is next', () => {
      expect(evaluateDunning(window(), policy, T0)).toMatchObject({ dueReminders: [0], nextAt: T0 + 3 * DAY });
    });

    it('once 0d is sent: nothing due until 3d', () => {
      expect(evaluateDunning(sent(0), policy, T0 + DAY)).toMatchObject({ dueReminders: [], nextAt: T0 + 3 * DAY });
    });

    it('at 3d: the 3d reminder is due, then 6d is next', () => {
      expect(evaluateDunning(sent(0), policy, T0 + 3 * DAY)).toMatchObject({ dueReminders: [3 * DAY], nextAt: T0 + 6 * DAY });
    });

    it('at 6d: the 6d reminder is due, then the end of the window is next', () => {
      expect(evaluateDunning(sent(0, 3 * DAY), policy, T0 + 6 * DAY)).toMatchObject({ dueReminders: [6 * DAY], nextAt: T0 + 7 * DAY });
    });

    it('all sent: only the end of the window is left', () => {
      expect(evaluateDunning(sent(0, 3 * DAY, 6 * DAY), policy, T0 + 6 * DAY + HOUR)).toMatchObject({ dueReminders: [], nextAt: T0 + 7 * DAY });
    });

    it('missed reminders catch up together (a worker that was down), in offset order', () => {
      expect(evaluateDunning(window(), policy, T0 + 6 * DAY + HOUR)).toMatchObject({
        dueReminders: [0, 3 * DAY, 6 * DAY],
        nextAt: T0 + 7 * DAY,
      });
    });

    it('a sent reminder is never due again', () => {
      for (const at of [0, 3 * DAY, 6 * DAY, 7 * DAY - 1]) {
        expect(evaluateDunning(sent(0, 3 * DAY, 6 * DAY), policy, T0 + at).dueReminders).toEqual([]);
      }
    });
  });

  describe('configured offsets', () => {
    it('offsets at or past the end of the window are ignored', () => {
      const p = { ...policy, reminderOffsetsMs: [0, 7 * DAY, 8 * DAY] };
      expect(evaluateDunning(sent(0), p, T0 + DAY)).toMatchObject({ dueReminders: [], nextAt: T0 + 7 * DAY });
      expect(evaluateDunning(sent(0), p, T0 + 7 * DAY - 1).dueReminders).toEqual([]);
    });

    it('negative offsets are ignored, duplicates count once, unsorted offsets are sorted', () => {
      const p = { ...policy, reminderOffsetsMs: [6 * DAY, -DAY, 3 * DAY, 3 * DAY] };
      expect(evaluateDunning(window(), p, T0 + 6 * DAY)).toMatchObject({ dueReminders: [3 * DAY, 6 * DAY] });
    });

    it('no reminders: only the end of the window matters', () => {
      const p = { ...policy, reminderOffsetsMs: [] };
      expect(evaluateDunning(window(), p, T0)).toMatchObject({ dueReminders: [], nextAt: T0 + 7 * DAY });
    });

    it('a shorter grace period drops the reminders that no longer fit', () => {
      const p = { gracePeriodMs: 4 * DAY, reminderOffsetsMs: [0, 3 * DAY, 6 * DAY] };
      const g = openGrace(T0, p);
      expect(evaluateDunning(g, p, T0 + 5 * DAY)).toMatchObject({ dueReminders: [0, 3 * DAY], stage: { name: 'enforced_recovery' } });
    });

    it('the window length comes from the recorded timestamps, not from the policy of the moment', () => {
      // Opened under a 7-day policy; the configuration later says 2 days.
      const p = { gracePeriodMs: 2 * DAY, reminderOffsetsMs: [0, 3 * DAY, 6 * DAY] };
      const e = evaluateDunning(sent(0), p, T0 + 3 * DAY);
      expect(e.dueReminders).toEqual([3 * DAY]);
      expect(e.stage.name).toBe('billing_recovery');
      expect(e.nextAt).toBe(T0 + 6 * DAY);
    });
  });

  describe('expired', () => {
    it.each([T0 + 7 * DAY, T0 + 8 * DAY, T0 + DAY])('nothing is due and nothing is next (evaluated at %d)', (now) => {
      expect(evaluateDunning(window({ expired: true }), policy, now)).toMatchObject({ dueReminders: [], nextAt: null });
    });

    it('even with reminders never sent', () => {
      expect(evaluateDunning(window({ expired: true, remindersSent: [] }), policy, T0 + 30 * DAY).dueReminders).toEqual([]);
    });
  });

  describe('the end of a window not yet marked expired', () => {
    it('is due now when its time has passed (regression: nextAt was null, so no timer expired the window)', () => {
      // A window moved earlier by late evidence, or evaluated after a worker outage,
      // with every reminder already sent: the expiry itself is still to do.
      for (const now of [T0 + 7 * DAY, T0 + 7 * DAY + 1, T0 + 30 * DAY]) {
        const e = evaluateDunning(sent(0, 3 * DAY, 6 * DAY), policy, now);
        expect(e.stage.name).toBe('enforced_recovery');
        expect(e.nextAt).toBe(T0 + 7 * DAY);
        expect(e.nextAt!).toBeLessThanOrEqual(now);
      }
    });
  });

  describe('absolute timestamps', () => {
    it('a window evaluated long after it started is measured from its recorded start', () => {
      // Opened in March, evaluated five days in by a run that started today (continue-as-new).
      const old = openGrace(Date.UTC(2026, 2, 1), policy);
      const e = evaluateDunning({ ...old, remindersSent: [0] }, policy, Date.UTC(2026, 2, 6));
      expect(e).toMatchObject({ dueReminders: [3 * DAY], nextAt: Date.UTC(2026, 2, 7), stage: { name: 'billing_recovery' } });
    });

    it('nextAt walks through the window: 0d, 3d, 6d reminders, then the end, then nothing', () => {
      let g = window();
      let now = T0 - HOUR;
      const visited: { at: number; due: number[] }[] = [];
      for (let step = 0; step < 10; step++) {
        const e = evaluateDunning(g, policy, now);
        if (e.dueReminders.length) {
          visited.push({ at: now - T0, due: e.dueReminders });
          g = { ...g, remindersSent: [...g.remindersSent, ...e.dueReminders] };
        }
        if (e.nextAt === null) break;
        if (e.nextAt <= now) {
          // What the workflow does at the end: expire the window.
          expect(now).toBeGreaterThanOrEqual(g.endsAt);
          g = { ...g, expired: true };
          visited.push({ at: now - T0, due: [] });
          continue;
        }
        now = e.nextAt;
      }
      expect(visited).toEqual([
        { at: 0, due: [0] },
        { at: 3 * DAY, due: [3 * DAY] },
        { at: 6 * DAY, due: [6 * DAY] },
        { at: 7 * DAY, due: [] },
      ]);
      expect(g.expired).toBe(true);
      expect(evaluateDunning(g, policy, now).nextAt).toBeNull();
    });
  });

  describe('properties', () => {
    const arb = fc.record({
      graceDays: fc.integer({ min: 1, max: 30 }),
      offsetsHours: fc.array(fc.integer({ min: -24, max: 40 * 24 }), { maxLength: 6 }),
      nowHours: fc.integer({ min: -48, max: 60 * 24 }),
      sentMask: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      startedAt: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    });

    it('due reminders are unsent, inside the window and already reached; nextAt is in the future unless the end is overdue', () => {
      fc.assert(
        fc.property(arb, ({ graceDays, offsetsHours, nowHours, sentMask, startedAt }) => {
          const p: DunningPolicy = { gracePeriodMs: graceDays * DAY, reminderOffsetsMs: offsetsHours.map((h) => h * HOUR) };
          const base = openGrace(startedAt, p);
          const g = { ...base, remindersSent: p.reminderOffsetsMs.filter((_, i) => sentMask[i]) };
          const now = startedAt + nowHours * HOUR;
          const e = evaluateDunning(g, p, now);
          for (const o of e.dueReminders) {
            expect(g.remindersSent).not.toContain(o);
            expect(o).toBeGreaterThanOrEqual(0);
            expect(o).toBeLessThan(g.endsAt - g.startedAt);
            expect(startedAt + o).toBeLessThanOrEqual(now);
          }
          expect(e.stage.name).toBe(now >= g.endsAt ? 'enforced_recovery' : 'billing_recovery');
          if (now < g.endsAt) {
            expect(e.nextAt).not.toBeNull();
            expect(e.nextAt!).toBeGreaterThan(now);
            expect(e.nextAt!).toBeLessThanOrEqual(g.endsAt);
          } else {
            expect(e.nextAt).toBe(g.endsAt);
          }
        }),
        { numRuns: 1_000 },
      );
    });

    it('shifting the window and the clock together shifts nextAt and nothing else', () => {
      fc.assert(
        fc.property(arb, fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), ({ graceDays, offsetsHours, nowHours, startedAt }, shift) => {
          const p: DunningPolicy = { gracePeriodMs: graceDays * DAY, reminderOffsetsMs: offsetsHours.map((h) => h * HOUR) };
          const now = startedAt + nowHours * HOUR;
          const a = evaluateDunning(openGrace(startedAt, p), p, now);
          const b = evaluateDunning(openGrace(startedAt + shift, p), p, now + shift);
          expect(b.dueReminders).toEqual(a.dueReminders);
          expect(b.stage).toEqual(a.stage);
          expect(b.nextAt).toBe(a.nextAt === null ? null : a.nextAt + shift);
        }),
        { numRuns: 500 },
      );
    });
  });
});
