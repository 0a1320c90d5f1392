// Pure tests of the embedded access client's decision: the in-process answer
// is the engine's evaluation of the same snapshot (also after the snapshot
// crossed the wire as JSON), by the clock; the staleness bound and the
// fail-open / fail-closed policy; cold start and unregistered projects go to
// /access; and the SSE parser, whatever way the body is cut into chunks.
import fc from 'fast-check';
import { decideLocally, EMPTY_SNAPSHOT, isStale, STALE_REASON, type ClientState } from '../../src/access-client/policy';
import { SseParser, type SseEvent } from '../../src/access-client/sse';
import { snapshotFromRow } from '../../src/access/snapshot';
import type { AccessEnvironment } from '../../src/domain/access';
import { evaluateAccess, type AccessSnapshot } from '../../src/domain/access-query';
import { accessSnapshotWireSchema, snapshotFromWire, snapshotToWire } from '../../src/domain/access-stream';
import { PLAN_IDS, ENVIRONMENTS } from '../../src/domain/plans';

const MIN = 1_000;
const T0 = Date.UTC(2026, 10, 15, 12); // 2026-11-15T12:00Z
const settings = { maxStalenessMs: 5_000, policy: 'fail-closed' as const };

function snapshot(over: Partial<AccessSnapshot> & { projects?: string[] } = {}): AccessSnapshot {
  const projects = over.projects ?? ['p1'];
  return {
    billing: { planId: 'business', status: 'active', grace: null, invoiceRecoveryAt: null, checkoutExpiresAt: null },
    balanceCents: 50_000,
    spendControl: null,
    ...over,
    projectRanks: new Map(projects.map((id, rank) => [id, rank])),
    projectCount: projects.length,
  };
}

function stateWith(snapshots: Record<string, AccessSnapshot>, over: Partial<ClientState> = {}): ClientState {
  return { snapshots: new Map(Object.entries(snapshots)), complete: true, walletMinimumCents: MIN, lastContactAt: T0, ...over };
}

const wire = (s: AccessSnapshot) => snapshotFromWire(accessSnapshotWireSchema.parse(JSON.parse(JSON.stringify(snapshotToWire(s)))));

describe('the in-process answer is the engine evaluation', () => {
  const snapshotArb = fc
    .record({
      planId: fc.constantFrom(...PLAN_IDS),
      status: fc.constantFrom('none', 'incomplete', 'active', 'past_due', 'canceled' as const),
      grace: fc.option(
        fc.record({ startedAt: fc.integer({ min: T0 - 30 * 86_400_000, max: T0 }), length: fc.integer({ min: 0, max: 20 * 86_400_000 }), expired: fc.boolean() }),
      ),
      invoiceRecoveryAt: fc.option(fc.integer({ min: T0 - 86_400_000, max: T0 + 86_400_000 })),
      checkoutExpiresAt: fc.option(fc.integer({ min: T0 - 86_400_000, max: T0 + 86_400_000 })),
      balanceCents: fc.integer({ min: -5_000, max: 5_000 }),
      spend: fc.option(fc.record({ action: fc.constantFrom('alert', 'block'), blockedMonth: fc.option(fc.constantFrom('2026-10', '2026-11', '2026-12')) })),
      projects: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'), { maxLength: 12 }),
    })
    .map((r) =>
      snapshot({
        billing: {
          planId: r.planId,
          status: r.status,
          grace: r.grace && { startedAt: r.grace.startedAt, endsAt: r.grace.startedAt + r.grace.length, expired: r.grace.expired },
          invoiceRecoveryAt: r.invoiceRecoveryAt,
          checkoutExpiresAt: r.checkoutExpiresAt,
        },
        balanceCents: r.balanceCents,
        spendControl: r.spend,
        projects: r.projects,
      }),
    );

  test('for any snapshot sent over the wire, at any instant, for any project and environment: the same answer /access gives, or "ask /access" exactly when it would register', () => {
    fc.assert(
      fc.property(
        snapshotArb,
        fc.integer({ min: T0 - 40 * 86_400_000, max: T0 + 40 * 86_400_000 }),
        fc.constantFrom('a', 'b', 'new-project'),
        fc.constantFrom(...ENVIRONMENTS),
        (s, nowMs, projectId, environment) => {
          const engine = evaluateAccess(s, MIN, nowMs, projectId, environment);
          const local = decideLocally(stateWith({ ws: wire(s) }, { lastContactAt: nowMs }), 'ws', projectId, environment, nowMs, settings);
          if (engine.needsRegistration) {
            expect(local).toEqual({ answer: null, needs: 'registration', unknownWorkspace: false });
          } else {
            const { source, ...answer } = local.answer!;
            expect(source).toBe('snapshot');
            expect(answer).toEqual(engine.answer);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  test('by the clock, with no event: a grace window ends and production is refused at that instant', () => {
    const endsAt = T0 + 60_000;
    const s = snapshot({ billing: { planId: 'business', status: 'past_due', grace: { startedAt: T0 - 86_400_000, endsAt, expired: false }, invoiceRecoveryAt: null, checkoutExpiresAt: null } });
    const at = (nowMs: number) => decideLocally(stateWith({ ws: s }, { lastContactAt: nowMs }), 'ws', 'p1', 'production', nowMs, settings).answer;
    expect(at(endsAt - 1)).toEqual({ allowed: true, reasons: [], graceEndsAt: new Date(endsAt).toISOString(), source: 'snapshot' });
    expect(at(endsAt)).toEqual({ allowed: false, reasons: ['enforced_recovery'], graceEndsAt: new Date(endsAt).toISOString(), source: 'snapshot' });
    expect(at(endsAt)?.allowed).toBe(evaluateAccess(s, MIN, endsAt, 'p1', 'production').answer.allowed);
  });

  test('by the clock: a spend cap blocks in its month and no longer at the first instant of the next (UTC)', () => {
    const s = snapshot({ spendControl: { action: 'block', blockedMonth: '2026-11' } });
    const december = Date.UTC(2026, 11, 1);
    const at = (nowMs: number) => decideLocally(stateWith({ ws: s }, { lastContactAt: nowMs }), 'ws', 'p1', 'production', nowMs, settings).answer;
    expect(at(december - 1)).toEqual({ allowed: false, reasons: ['spend_cap_reached'], source: 'snapshot' });
    expect(at(december)).toEqual({ allowed: true, reasons: [], source: 'snapshot' });
  });

  test('a workspace absent from a complete state is evaluated as the engine reads an unknown workspace', () => {
    expect(EMPTY_SNAPSHOT).toEqual(snapshotFromRow(undefined));
    const local = decideLocally(stateWith({}), 'nobody', 'p1', 'production', T0, settings);
    expect(local.answer).toEqual({ allowed: false, reasons: ['plan_not_production_capable', 'wallet_below_minimum'], source: 'snapshot' });
    expect(local.unknownWorkspace).toBe(true);
  });
});

describe('what only /access can answer', () => {
  test('cold start: before the first complete state, every check goes to /access', () => {
    const cold = stateWith({}, { complete: false, lastContactAt: null });
    expect(decideLocally(cold, 'ws', 'p1', 'production', T0, settings)).toEqual({ answer: null, needs: 'snapshot' });
  });

  test('a production project not registered yet and otherwise allowed goes to /access (which registers it); a registered one does not', () => {
    const state = stateWith({ ws: snapshot({ projects: ['p1'] }) });
    expect(decideLocally(state, 'ws', 'p2', 'production', T0, settings)).toEqual({ answer: null, needs: 'registration', unknownWorkspace: false });
    expect(decideLocally(state, 'ws', 'p1', 'production', T0, settings).answer?.source).toBe('snapshot');
    // Not production: nothing to register.
    expect(decideLocally(state, 'ws', 'p2', 'sandbox', T0, settings).answer).toEqual({ allowed: true, reasons: [], source: 'snapshot' });
  });

  test('an unregistered project refused anyway (the place is taken, or the wallet is low) is answered in-process: /access would not register it either', () => {
    const plusFull = stateWith({ ws: snapshot({ billing: { planId: 'plus', status: 'active', grace: null, invoiceRecoveryAt: null, checkoutExpiresAt: null }, projects: ['p1'] }) });
    expect(decideLocally(plusFull, 'ws', 'p2', 'production', T0, settings).answer).toEqual({ allowed: false, reasons: ['project_limit'], source: 'snapshot' });
    const poor = stateWith({ ws: snapshot({ balanceCents: 0 }) });
    expect(decideLocally(poor, 'ws', 'p9', 'production', T0, settings).answer).toEqual({ allowed: false, reasons: ['wallet_below_minimum'], source: 'snapshot' });
  });
});

describe('staleness bound and policy', () => {
  const s = snapshot();
  const contact = T0;
  const decide = (nowMs: number, policy: 'fail-closed' | 'fail-open' = 'fail-closed', env: AccessEnvironment = 'production') =>
    decideLocally(stateWith({ ws: s }, { lastContactAt: contact }), 'ws', 'p1', env, nowMs, { maxStalenessMs: 5_000, policy }).answer;

  test('within the bound (inclusive) the snapshot answers', () => {
    expect(isStale({ lastContactAt: contact }, contact + 5_000, 5_000)).toBe(false);
    expect(decide(contact + 5_000)).toEqual({ allowed: true, reasons: [], source: 'snapshot' });
  });

  test('past the bound, fail-closed denies with access_state_stale and says how stale', () => {
    expect(decide(contact + 5_001)).toEqual({ allowed: false, reasons: [STALE_REASON], source: 'policy', staleForMs: 5_001 });
    // Whatever the snapshot would say, and in every environment: the state cannot be vouched for.
    expect(decide(contact + 60_000, 'fail-closed', 'sandbox')).toMatchObject({ allowed: false, source: 'policy' });
  });

  test('past the bound, fail-open allows, reported as a policy answer', () => {
    const poor = stateWith({ ws: snapshot({ balanceCents: 0 }) }, { lastContactAt: contact });
    expect(decideLocally(poor, 'ws', 'p1', 'production', contact + 5_001, { maxStalenessMs: 5_000, policy: 'fail-open' }).answer).toEqual({
      allowed: true,
      reasons: [],
      source: 'policy',
      staleForMs: 5_001,
    });
  });

  test('a complete state that never heard a heartbeat is stale', () => {
    expect(isStale({ lastContactAt: null }, T0, 5_000)).toBe(true);
    const never = stateWith({ ws: s }, { lastContactAt: null });
    expect(decideLocally(never, 'ws', 'p1', 'production', T0, settings).answer).toEqual({ allowed: false, reasons: [STALE_REASON], source: 'policy', staleForMs: null });
  });
});

describe('SseParser', () => {
  const body =
    ': a comment\n' +
    'event: reset\ndata: {"a":1}\n\n' +
    'id: e1-5\r\nevent: workspace\r\ndata: line one\r\ndata: line two\r\n\r\n' +
    'data: no event name\rid: e1-6\r\r' +
    'event: empty\n\n' +
    'id: has\0nul\ndata: x\n\n' +
    'event:ready\ndata:{"seq":6}\nretry: 100\n\n';
  const expected: SseEvent[] = [
    { event: 'reset', data: '{"a":1}', id: undefined },
    { event: 'workspace', data: 'line one\nline two', id: 'e1-5' },
    { event: 'message', data: 'no event name', id: 'e1-6' },
    { event: 'message', data: 'x', id: undefined },
    { event: 'ready', data: '{"seq":6}', id: undefined },
  ];

  test('fields, comments, CR / LF / CRLF line ends, events without data not dispatched, ids with NUL ignored', () => {
    expect(new SseParser().feed(body)).toEqual(expected);
  });

  test('any cut of the body into chunks gives the same events', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: body.length - 1 }), { maxLength: 12 }), (cuts) => {
        const parser = new SseParser();
        const points = [0, ...[...cuts].sort((a, b) => a - b), body.length];
        const events = points.slice(1).flatMap((end, i) => parser.feed(body.slice(points[i], end)));
        expect(events).toEqual(expected);
      }),
    );
  });
});
