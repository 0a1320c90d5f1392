import fc from 'fast-check';
import type { InvoiceChangedFact, InvoiceStatus } from '../../src/domain/billing-facts';
import {
  INVOICES_KEPT,
  applyInvoiceFact,
  failedAt,
  failedUnpaidInvoices,
  invoiceRecoveryFrom,
  isSettled,
  lastPaidAt,
  unpaidHostedInvoice,
  type InvoiceRecord,
} from '../../src/domain/invoices';
import { factFromEvent, stripeEventEnvelope } from '../../src/domain/stripe-events';
import { checkoutFixture, invoice, stripeEvent } from '../support/stripe-events';

const T0 = Date.UTC(2026, 1, 1, 0, 0, 0);
const SEC = 1_000;
const DAY = 86_400_000;

let seq = 0;
const nextId = (prefix: string) => `${prefix}_${++seq}`;
const url = (id: string) => `https://invoice.stripe.com/i/acct_test/${id}`;

function inv(overrides: Partial<InvoiceChangedFact> = {}): InvoiceChangedFact {
  const invoiceId = overrides.invoiceId ?? 'in_1';
  return {
    kind: 'invoice_changed',
    eventId: nextId('evt'),
    occurredAt: T0,
    invoiceId,
    subscriptionId: 'sub_1',
    status: 'open',
    paymentFailed: false,
    amountDueCents: 2900,
    currency: 'usd',
    hostedInvoiceUrl: url(invoiceId),
    ...overrides,
  };
}
const failed = (o: Partial<InvoiceChangedFact> = {}) => inv({ status: 'open', paymentFailed: true, ...o });
const paid = (o: Partial<InvoiceChangedFact> = {}) => inv({ status: 'paid', amountDueCents: 0, ...o });
const voided = (o: Partial<InvoiceChangedFact> = {}) => inv({ status: 'void', ...o });
const finalized = (o: Partial<InvoiceChangedFact> = {}) => inv({ status: 'open', ...o });
const uncollectible = (o: Partial<InvoiceChangedFact> = {}) => inv({ status: 'uncollectible', ...o });

const applyAll = (facts: InvoiceChangedFact[], start: InvoiceRecord[] = []) => facts.reduce(applyInvoiceFact, start);
const only = (list: InvoiceRecord[]) => {
  expect(list).toHaveLength(1);
  return list[0];
};

describe('isSettled', () => {
  it.each([
    ['paid', true],
    ['void', true],
    ['open', false],
    ['draft', false],
    ['uncollectible', false],
  ] as [InvoiceStatus, boolean][])('%s → %s', (status, settled) => {
    expect(isSettled(status)).toBe(settled);
  });
});

describe('applyInvoiceFact', () => {
  it('records a failed collection attempt of an open invoice', () => {
    const f = failed({ occurredAt: T0 + DAY, amountDueCents: 9900 });
    expect(only(applyInvoiceFact([], f))).toEqual({
      id: 'in_1',
      subscriptionId: 'sub_1',
      status: 'open',
      paymentFailed: true,
      failedAt: T0 + DAY,
      amountDueCents: 9900,
      currency: 'usd',
      hostedInvoiceUrl: url('in_1'),
      lastFactAt: T0 + DAY,
    });
  });

  it('does not mutate the list it is given', () => {
    const before = applyAll([failed()]);
    const copy = structuredClone(before);
    applyAll([paid({ occurredAt: T0 + DAY }), failed({ invoiceId: 'in_2' })], before);
    expect(before).toEqual(copy);
  });

  describe('paid and void are final', () => {
    it.each([
      ['paid', paid],
      ['void', voided],
    ] as const)('%s, then a later-arriving failure (older event) changes nothing', (_, settle) => {
      const settled = applyAll([settle({ occurredAt: T0 + 2 * DAY })]);
      const after = applyInvoiceFact(settled, failed({ occurredAt: T0 + DAY }));
      expect(after).toBe(settled);
    });

    it.each([
      ['paid', paid],
      ['void', voided],
    ] as const)('%s, then a failure stamped even later (clock skew) changes nothing', (_, settle) => {
      const settled = applyAll([settle({ occurredAt: T0 + DAY })]);
      expect(applyInvoiceFact(settled, failed({ occurredAt: T0 + 2 * DAY }))).toBe(settled);
      expect(applyInvoiceFact(settled, finalized({ occurredAt: T0 + 2 * DAY }))).toBe(settled);
      expect(applyInvoiceFact(settled, uncollectible({ occurredAt: T0 + 2 * DAY }))).toBe(settled);
    });

    it('paid arriving after the failure settles it, whatever the timestamps say', () => {
      for (const paidAt of [T0 - DAY, T0, T0 + DAY]) {
        const rec = only(applyAll([failed({ occurredAt: T0 }), paid({ occurredAt: paidAt })]));
        expect(rec).toMatchObject({ status: 'paid', paymentFailed: false, failedAt: null, amountDueCents: 0 });
        // A settlement is dated by itself (lastPaidAt is when it was paid).
        expect(rec.lastFactAt).toBe(paidAt);
      }
    });

    it('paid before or after the failure ends in the same record', () => {
      const f = failed({ occurredAt: T0 });
      const p = paid({ occurredAt: T0 + DAY });
      expect(applyAll([p, f])).toEqual(applyAll([f, p]));
    });

    it('between two settlements the newer one wins (paid, then voided later)', () => {
      const rec = only(applyAll([voided({ occurredAt: T0 + 2 * DAY }), paid({ occurredAt: T0 + DAY })]));
      expect(rec.status).toBe('void');
      expect(only(applyAll([paid({ occurredAt: T0 + DAY }), voided({ occurredAt: T0 + 2 * DAY })])).status).toBe('void');
    });
  });

  describe('ordering of unsettled facts', () => {
    it('an older non-settled fact is ignored', () => {
      const newer = applyAll([failed({ occurredAt: T0 + 3 * DAY, amountDueCents: 1000 })]);
      expect(applyInvoiceFact(newer, finalized({ occurredAt: T0, amountDueCents: 2900 }))).toBe(newer);
      expect(applyInvoiceFact(newer, uncollectible({ occurredAt: T0 }))).toBe(newer);
    });

    it('a newer non-settled fact replaces amount and status, and keeps the failure mark', () => {
      const rec = only(applyAll([failed({ occurredAt: T0 }), uncollectible({ occurredAt: T0 + DAY, amountDueCents: 1500 })]));
      expect(rec).toMatchObject({ status: 'uncollectible', paymentFailed: true, amountDueCents: 1500, lastFactAt: T0 + DAY });
    });

    it('finalized then failed: the failure is recorded', () => {
      const rec = only(applyAll([finalized({ occurredAt: T0 }), failed({ occurredAt: T0 + SEC })]));
      expect(rec).toMatchObject({ status: 'open', paymentFailed: true });
    });

    it('an older failure still marks the unpaid invoice as failed (regression: the mark depended on delivery order)', () => {
      // Stripe emits invoice.payment_failed and invoice.marked_uncollectible for the
      // last retry almost together; delivered newest first, the failure was dropped
      // as stale and the written-off invoice no longer counted as a failed one.
      const fail = failed({ occurredAt: T0 });
      const writeOff = uncollectible({ occurredAt: T0 + SEC });
      const inOrder = only(applyAll([fail, writeOff]));
      const reversed = only(applyAll([writeOff, fail]));
      expect(reversed).toEqual(inOrder);
      expect(reversed).toMatchObject({ status: 'uncollectible', paymentFailed: true, failedAt: T0, lastFactAt: T0 + SEC });
    });

    it('failedAt is the earliest failed attempt, in any order (retries do not move it)', () => {
      const first = failed({ occurredAt: T0, amountDueCents: 2900 });
      const retry = failed({ occurredAt: T0 + 3 * DAY, amountDueCents: 2900 });
      for (const order of [[first, retry], [retry, first]]) {
        expect(only(applyAll(order))).toMatchObject({ paymentFailed: true, failedAt: T0, lastFactAt: T0 + 3 * DAY });
      }
    });

    it('an older fact that adds nothing returns the very same list', () => {
      const list = applyAll([failed({ occurredAt: T0 }), failed({ occurredAt: T0 + DAY })]);
      expect(applyInvoiceFact(list, failed({ occurredAt: T0 + SEC }))).toBe(list);
    });

    it('records saved before failedAt existed read their failure time from lastFactAt', () => {
      const legacy: InvoiceRecord = {
        id: 'in_1',
        subscriptionId: 'sub_1',
        status: 'open',
        paymentFailed: true,
        amountDueCents: 2900,
        currency: 'usd',
        hostedInvoiceUrl: url('in_1'),
        lastFactAt: T0 + DAY,
      };
      expect(failedAt(legacy)).toBe(T0 + DAY);
      expect(only(applyInvoiceFact([legacy], failed({ occurredAt: T0 }))).failedAt).toBe(T0);
      expect(failedAt({ ...legacy, paymentFailed: false })).toBeNull();
      expect(failedAt({ ...legacy, status: 'paid' })).toBeNull();
    });

    it('equal timestamps apply in arrival order', () => {
      const rec = only(applyAll([finalized({ occurredAt: T0, amountDueCents: 1 }), failed({ occurredAt: T0, amountDueCents: 2 })]));
      expect(rec.amountDueCents).toBe(2);
    });

    it('keeps a known hosted URL and subscription when a later fact lacks them', () => {
      const rec = only(applyAll([failed({ occurredAt: T0 }), uncollectible({ occurredAt: T0 + DAY, hostedInvoiceUrl: null, subscriptionId: null })]));
      expect(rec.hostedInvoiceUrl).toBe(url('in_1'));
      expect(rec.subscriptionId).toBe('sub_1');
    });
  });

  describe('amount', () => {
    it.each([
      ['paid', paid],
      ['void', voided],
    ] as const)('is 0 once %s, even when the event carried an amount', (_, settle) => {
      const rec = only(applyAll([failed({ amountDueCents: 9900 }), settle({ occurredAt: T0 + DAY, amountDueCents: 9900 })]));
      expect(rec.amountDueCents).toBe(0);
      expect(rec.paymentFailed).toBe(false);
    });

    it('follows amount_remaining of the newest unsettled fact', () => {
      const rec = only(applyAll([failed({ amountDueCents: 9900 }), failed({ occurredAt: T0 + DAY, amountDueCents: 4900 })]));
      expect(rec.amountDueCents).toBe(4900);
    });
  });

  describe('bounded list', () => {
    it(`keeps at most ${INVOICES_KEPT} invoices, forgetting settled ones first (oldest first)`, () => {
      const unpaidOld = Array.from({ length: 5 }, (_, i) => failed({ invoiceId: `in_unpaid_${i}`, occurredAt: T0 + i }));
      const paidNew = Array.from({ length: INVOICES_KEPT }, (_, i) => paid({ invoiceId: `in_paid_${i}`, occurredAt: T0 + DAY + i }));
      const list = applyAll([...unpaidOld, ...paidNew]);
      expect(list).toHaveLength(INVOICES_KEPT);
      for (let i = 0; i < 5; i++) expect(list.map((r) => r.id)).toContain(`in_unpaid_${i}`);
      // The five oldest paid ones went.
      for (let i = 0; i < 5; i++) expect(list.map((r) => r.id)).not.toContain(`in_paid_${i}`);
      for (let i = 5; i < INVOICES_KEPT; i++) expect(list.map((r) => r.id)).toContain(`in_paid_${i}`);
    });

    it('with only unpaid invoices, the oldest are dropped', () => {
      const facts = Array.from({ length: INVOICES_KEPT + 3 }, (_, i) => failed({ invoiceId: `in_${i}`, occurredAt: T0 + i * SEC }));
      const ids = applyAll(facts).map((r) => r.id);
      expect(ids).toHaveLength(INVOICES_KEPT);
      expect(ids).not.toContain('in_0');
      expect(ids).not.toContain('in_2');
      expect(ids).toContain('in_3');
    });

    it('property: never over the bound, no duplicates, and an unpaid invoice is forgotten only when all kept ones are unpaid', () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ n: fc.integer({ min: 0, max: 40 }), settled: fc.boolean(), at: fc.integer({ min: 0, max: 1_000 }) }), {
            maxLength: 80,
          }),
          (steps) => {
            let list: InvoiceRecord[] = [];
            for (const s of steps) {
              const fact = (s.settled ? paid : failed)({ invoiceId: `in_${s.n}`, occurredAt: T0 + s.at * SEC });
              const next = applyInvoiceFact(list, fact);
              expect(next.length).toBeLessThanOrEqual(INVOICES_KEPT);
              expect(new Set(next.map((r) => r.id)).size).toBe(next.length);
              const keptIds = new Set(next.map((r) => r.id));
              const droppedUnpaid = list.filter((r) => !isSettled(r.status) && r.id !== fact.invoiceId && !keptIds.has(r.id));
              if (droppedUnpaid.length > 0) {
                expect(next).toHaveLength(INVOICES_KEPT);
                expect(next.every((r) => !isSettled(r.status))).toBe(true);
              }
              list = next;
            }
          },
        ),
      );
    });
  });
});

describe('unpaidHostedInvoice', () => {
  it('is null with no invoices, or only settled ones', () => {
    expect(unpaidHostedInvoice([])).toBeNull();
    expect(unpaidHostedInvoice(applyAll([failed(), paid({ occurredAt: T0 + DAY })]))).toBeNull();
    expect(unpaidHostedInvoice(applyAll([failed(), voided({ occurredAt: T0 + DAY })]))).toBeNull();
  });

  it('shows an open invoice with a hosted URL while unpaid', () => {
    const list = applyAll([failed({ amountDueCents: 9900 })]);
    expect(unpaidHostedInvoice(list)).toMatchObject({ id: 'in_1', amountDueCents: 9900, currency: 'usd', hostedInvoiceUrl: url('in_1') });
  });

  it('shows an uncollectible invoice too (still payable on the hosted page)', () => {
    expect(unpaidHostedInvoice(applyAll([uncollectible()]))?.id).toBe('in_1');
  });

  it('picks the newest payable invoice', () => {
    const list = applyAll([
      failed({ invoiceId: 'in_old', occurredAt: T0 }),
      failed({ invoiceId: 'in_new', occurredAt: T0 + 30 * DAY }),
      failed({ invoiceId: 'in_mid', occurredAt: T0 + 10 * DAY }),
    ]);
    expect(unpaidHostedInvoice(list)?.id).toBe('in_new');
    expect(unpaidHostedInvoice(applyInvoiceFact(list, paid({ invoiceId: 'in_new', occurredAt: T0 + 31 * DAY })))?.id).toBe('in_mid');
  });

  it('skips invoices without a hosted URL, with nothing left to pay, and drafts', () => {
    const list = applyAll([
      failed({ invoiceId: 'in_payable', occurredAt: T0 }),
      failed({ invoiceId: 'in_no_url', occurredAt: T0 + DAY, hostedInvoiceUrl: null }),
      failed({ invoiceId: 'in_zero', occurredAt: T0 + 2 * DAY, amountDueCents: 0 }),
      inv({ invoiceId: 'in_draft', status: 'draft', occurredAt: T0 + 3 * DAY }),
    ]);
    expect(unpaidHostedInvoice(list)?.id).toBe('in_payable');
  });
});

describe('failedUnpaidInvoices and lastPaidAt', () => {
  it('lists unpaid invoices whose collection failed, of this subscription (or of none)', () => {
    const list = applyAll([
      failed({ invoiceId: 'in_a' }),
      failed({ invoiceId: 'in_other', subscriptionId: 'sub_other' }),
      failed({ invoiceId: 'in_oneoff', subscriptionId: null }),
      finalized({ invoiceId: 'in_not_failed' }),
      failed({ invoiceId: 'in_paid' }),
      paid({ invoiceId: 'in_paid', occurredAt: T0 + DAY }),
      failed({ invoiceId: 'in_written_off' }),
      uncollectible({ invoiceId: 'in_written_off', occurredAt: T0 + DAY }),
    ]);
    expect(failedUnpaidInvoices(list, 'sub_1').map((i) => i.id).sort()).toEqual(['in_a', 'in_oneoff', 'in_written_off']);
  });

  it('lastPaidAt is the newest paid invoice fact, 0 without one', () => {
    expect(lastPaidAt([])).toBe(0);
    expect(lastPaidAt(applyAll([paid({ invoiceId: 'a', occurredAt: T0 }), paid({ invoiceId: 'b', occurredAt: T0 + DAY }), failed({ invoiceId: 'c', occurredAt: T0 + 2 * DAY })]))).toBe(T0 + DAY);
    expect(lastPaidAt(applyAll([voided({ occurredAt: T0 })]))).toBe(0);
  });
});

describe('order independence (property)', () => {
  const kinds = ['finalized', 'failed', 'paid', 'void', 'uncollectible'] as const;
  const make = { finalized, failed, paid, void: voided, uncollectible };

  it('a set of facts about one invoice ends in the same record in any order, duplicates included', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.record({ kind: fc.constantFrom(...kinds), at: fc.integer({ min: 0, max: 100 }) }), {
            minLength: 1,
            maxLength: 6,
            selector: (s) => s.at,
          })
          .map((steps) => steps.map((s) => make[s.kind]({ eventId: `evt_${s.kind}_${s.at}`, occurredAt: T0 + s.at * SEC })))
          .chain((facts) => fc.tuple(fc.constant(facts), fc.shuffledSubarray([...facts, ...facts], { minLength: facts.length * 2 }))),
        ([facts, order]) => {
          const inOrder = only(applyAll([...facts].sort((a, b) => a.occurredAt - b.occurredAt)));
          const shuffled = only(applyAll(order));
          expect(shuffled).toEqual(inOrder);
          const settlements = facts.filter((f) => isSettled(f.status));
          const failures = facts.filter((f) => f.paymentFailed);
          if (settlements.length > 0) {
            // The newest settlement wins; paid and void are final.
            const newest = settlements.reduce((a, b) => (b.occurredAt > a.occurredAt ? b : a));
            expect(shuffled).toMatchObject({ status: newest.status, amountDueCents: 0, paymentFailed: false, failedAt: null, lastFactAt: newest.occurredAt });
          } else {
            const newest = facts.reduce((a, b) => (b.occurredAt > a.occurredAt ? b : a));
            expect(shuffled.status).toBe(newest.status);
            expect(shuffled.paymentFailed).toBe(failures.length > 0);
            expect(shuffled.failedAt).toBe(failures.length > 0 ? Math.min(...failures.map((f) => f.occurredAt)) : null);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('from Stripe-shaped invoice events', () => {
  const CREATED = 1_767_225_600;
  const factOf = (type: string, object: Record<string, unknown>, created = CREATED) =>
    factFromEvent(stripeEventEnvelope.parse(stripeEvent(type, object, created))) as InvoiceChangedFact;

  it('invoice.payment_failed then invoice.paid, delivered in reverse, leave the invoice paid', () => {
    const f = checkoutFixture('family', 'month');
    const open = invoice(f, { id: 'in_cycle', amountDue: 9900 });
    const failure = factOf('invoice.payment_failed', open, CREATED);
    const payment = factOf('invoice.paid', invoice(f, { id: 'in_cycle', status: 'paid', amountDue: 9900 }), CREATED + 3_600);
    expect(failure).toMatchObject({ kind: 'invoice_changed', invoiceId: 'in_cycle', subscriptionId: f.subscriptionId, status: 'open', paymentFailed: true, amountDueCents: 9900 });
    expect(payment).toMatchObject({ status: 'paid', paymentFailed: false, amountDueCents: 0 });
    const rec = only(applyAll([payment, failure]));
    expect(rec).toMatchObject({ status: 'paid', amountDueCents: 0, paymentFailed: false });
    expect(unpaidHostedInvoice([rec])).toBeNull();
  });

  it('a failed invoice is shown with its hosted URL and remaining amount', () => {
    const f = checkoutFixture();
    const failure = factOf('invoice.payment_failed', invoice(f, { id: 'in_x', amountDue: 2900, amountRemaining: 1900 }));
    expect(unpaidHostedInvoice(applyAll([failure]))).toMatchObject({
      id: 'in_x',
      amountDueCents: 1900,
      hostedInvoiceUrl: 'https://invoice.stripe.com/i/acct_test/in_x',
    });
  });
});

describe('invoice terms and requests for action', () => {
  const due = T0 + 30 * DAY;

  it('keeps the collection method and due date once known, also from older news, and only when known', () => {
    const plain = only(applyAll([finalized()]));
    expect(plain).not.toHaveProperty('collectionMethod');
    expect(plain).not.toHaveProperty('dueAt');
    expect(plain).not.toHaveProperty('actionRequiredAt');
    const termed = only(applyAll([finalized({ occurredAt: T0 + DAY }), finalized({ occurredAt: T0, collectionMethod: 'send_invoice', dueAt: due })]));
    expect(termed).toMatchObject({ collectionMethod: 'send_invoice', dueAt: due, lastFactAt: T0 + DAY });
    const kept = only(applyAll([finalized({ collectionMethod: 'send_invoice', dueAt: due }), finalized({ occurredAt: T0 + DAY, collectionMethod: null, dueAt: null })]));
    expect(kept).toMatchObject({ collectionMethod: 'send_invoice', dueAt: due });
  });

  it('a request for action is kept (earliest) until the invoice is settled, whatever the order', () => {
    const asked = [inv({ occurredAt: T0 + DAY, actionRequired: true }), finalized({ occurredAt: T0 + 2 * DAY })];
    expect(only(applyAll(asked)).actionRequiredAt).toBe(T0 + DAY);
    expect(only(applyAll([...asked].reverse())).actionRequiredAt).toBe(T0 + DAY);
    expect(only(applyAll([...asked, paid({ occurredAt: T0 + 3 * DAY })]))).not.toHaveProperty('actionRequiredAt');
  });

  it.each([
    ['merely finalized', [finalized()], false, null],
    ['collection failed', [failed({ occurredAt: T0 + SEC })], false, T0 + SEC],
    ['collection failed, superseded by an active subscription', [failed({ occurredAt: T0 + SEC })], true, null],
    ['needs action', [inv({ occurredAt: T0 + SEC, actionRequired: true })], false, T0 + SEC],
    ['uncollectible', [uncollectible({ occurredAt: T0 + SEC })], false, T0 + SEC],
    ['send_invoice: from its due date', [finalized({ collectionMethod: 'send_invoice', dueAt: due })], false, due],
    ['charge_automatically with a due date: not by the date', [finalized({ collectionMethod: 'charge_automatically', dueAt: due })], false, null],
    ['send_invoice paid', [finalized({ collectionMethod: 'send_invoice', dueAt: due }), paid({ occurredAt: T0 + DAY })], false, null],
    ['send_invoice voided', [finalized({ collectionMethod: 'send_invoice', dueAt: due }), voided({ occurredAt: T0 + DAY })], false, null],
  ] as [string, InvoiceChangedFact[], boolean, number | null][])('recovery from: %s', (_, facts, superseded, at) => {
    expect(invoiceRecoveryFrom(only(applyAll(facts)), superseded)).toBe(at);
  });
});
