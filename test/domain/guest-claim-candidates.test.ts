import fc from 'fast-check';
import { isEligible, rankClaimCandidates, type GuestClaimCandidate } from '../../src/domain/guest-claim-candidates';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const claim = { workspaceId: 'ws_1', email: 'Visitor@Example.com' };

function row(id: string, patch: Partial<GuestClaimCandidate> = {}): GuestClaimCandidate {
  return { checkoutId: id, email: 'visitor@example.com', status: 'paid', claimedWorkspaceId: null, paidAt: T0, expiresAt: null, createdAt: T0 - HOUR, ...patch };
}
const open = (id: string, createdAt: number) => row(id, { status: 'open', paidAt: null, createdAt, expiresAt: createdAt + 24 * HOUR });
const ids = (rows: GuestClaimCandidate[]) => rows.map((r) => r.checkoutId);

describe('isEligible', () => {
  it('takes unclaimed paid checkouts and open ones whose session has not expired, of the same email in any case', () => {
    expect(isEligible(row('a'), claim, T0)).toBe(true);
    expect(isEligible(row('a', { email: ' VISITOR@example.COM ' }), claim, T0)).toBe(true);
    expect(isEligible(open('b', T0), claim, T0 + HOUR)).toBe(true);
    expect(isEligible(open('b', T0), claim, T0 + 24 * HOUR)).toBe(false);
  });

  it('leaves out other emails, other workspaces’ claims and checkouts with nothing to claim', () => {
    expect(isEligible(row('a', { email: 'other@example.com' }), claim, T0)).toBe(false);
    expect(isEligible(row('a', { email: null }), claim, T0)).toBe(false);
    expect(isEligible(row('a', { status: 'claimed', claimedWorkspaceId: 'ws_2' }), claim, T0)).toBe(false);
    for (const status of ['new', 'expired', 'canceled', 'refused']) expect(isEligible(row('a', { status }), claim, T0)).toBe(false);
  });

  it('keeps a checkout this workspace claimed already (a repeat answers the same)', () => {
    expect(isEligible(row('a', { status: 'claimed', claimedWorkspaceId: 'ws_1' }), claim, T0)).toBe(true);
  });
});

describe('rankClaimCandidates', () => {
  it('paid beats open: a paid checkout older than an open one still wins', () => {
    const paidLongAgo = row('paid_old', { createdAt: T0 - 20 * 24 * HOUR, paidAt: T0 - 20 * 24 * HOUR });
    const openNow = open('open_new', T0);
    expect(ids(rankClaimCandidates([openNow, paidLongAgo], claim, T0 + HOUR))).toEqual(['paid_old', 'open_new']);
  });

  it('among paid ones the latest payment first (not the latest start); among open ones the latest started', () => {
    const startedFirstPaidLast = row('p1', { createdAt: T0, paidAt: T0 + 5 * HOUR });
    const startedLastPaidFirst = row('p2', { createdAt: T0 + HOUR, paidAt: T0 + 2 * HOUR });
    const o1 = open('o1', T0 + 3 * HOUR);
    const o2 = open('o2', T0 + 4 * HOUR);
    expect(ids(rankClaimCandidates([o1, startedLastPaidFirst, o2, startedFirstPaidLast], claim, T0 + 6 * HOUR))).toEqual(['p1', 'p2', 'o2', 'o1']);
  });

  it('a repeat: this workspace’s earlier claim outranks an older open session, a newer payment outranks it', () => {
    const claimed = row('mine', { status: 'claimed', claimedWorkspaceId: 'ws_1', paidAt: T0 });
    expect(ids(rankClaimCandidates([open('o', T0 + HOUR), claimed], claim, T0 + 2 * HOUR))).toEqual(['mine', 'o']);
    expect(ids(rankClaimCandidates([claimed, row('newer', { paidAt: T0 + HOUR })], claim, T0 + 2 * HOUR))).toEqual(['newer', 'mine']);
  });

  it('nothing eligible: nothing to claim', () => {
    expect(rankClaimCandidates([row('x', { status: 'expired' }), open('o', T0)], claim, T0 + 25 * HOUR)).toEqual([]);
  });

  it('is a total order: the same rows in any order give the same ranking', () => {
    const arbRow = fc.record({
      checkoutId: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      paid: fc.boolean(),
      createdAt: fc.integer({ min: 0, max: 5 }),
      paidAt: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbRow, { selector: (r) => r.checkoutId, maxLength: 5 }), (spec) => {
        const rows = spec.map((s) =>
          s.paid ? row(s.checkoutId, { createdAt: T0 + s.createdAt * HOUR, paidAt: T0 + s.paidAt * HOUR }) : open(s.checkoutId, T0 + s.createdAt * HOUR),
        );
        const ranked = ids(rankClaimCandidates(rows, claim, T0));
        expect(ids(rankClaimCandidates([...rows].reverse(), claim, T0))).toEqual(ranked);
        // Every paid one comes before every open one.
        const firstOpen = ranked.findIndex((id) => rows.find((r) => r.checkoutId === id)!.paidAt === null);
        if (firstOpen >= 0) expect(ranked.slice(firstOpen).every((id) => rows.find((r) => r.checkoutId === id)!.paidAt === null)).toBe(true);
      }),
    );
  });
});
