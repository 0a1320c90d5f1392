// Usage batch validation: every offending event is listed, batches are
// atomic, duplicate ids are not errors (the first occurrence counts).
import fc from 'fast-check';
import { ENVIRONMENTS, REQUEST_FAMILIES } from '../../src/domain/plans';
import { MAX_USAGE_BATCH, MAX_USAGE_QUANTITY, firstOccurrences, usageBatchSchema, usageEventSchema, validateUsageBatch } from '../../src/domain/usage';

const event = (overrides: Record<string, unknown> = {}) => ({
  id: 'evt_1',
  projectId: 'proj_1',
  family: 'waf',
  environment: 'production',
  quantity: 1500,
  occurredAt: '2026-11-20T10:00:00Z',
  ...overrides,
});

describe('usageEventSchema', () => {
  it('accepts every family and environment of the rate card', () => {
    for (const family of Object.keys(REQUEST_FAMILIES)) {
      for (const environment of ENVIRONMENTS) {
        expect(usageEventSchema.safeParse(event({ family, environment })).success).toBe(true);
      }
    }
  });

  it.each([
    ['a zero quantity', { quantity: 0 }],
    ['the largest quantity per event', { quantity: MAX_USAGE_QUANTITY }],
    ['an offset instead of Z', { occurredAt: '2026-11-20T10:00:00+02:00' }],
    ['fractional seconds', { occurredAt: '2026-11-20T10:00:00.123Z' }],
    ['a 200-character id', { id: 'e'.repeat(200) }],
    ['a 128-character project id', { projectId: 'p'.repeat(128) }],
  ])('accepts %s', (_what, overrides) => {
    expect(usageEventSchema.safeParse(event(overrides)).success).toBe(true);
  });

  it.each([
    ['an empty id', { id: '' }, 'id'],
    ['a 201-character id', { id: 'e'.repeat(201) }, 'id'],
    ['a numeric id', { id: 42 }, 'id'],
    ['an empty project id', { projectId: '' }, 'projectId'],
    ['a 129-character project id', { projectId: 'p'.repeat(129) }, 'projectId'],
    ['an unknown family', { family: 'captcha' }, 'family'],
    ['an unknown environment', { environment: 'prod' }, 'environment'],
    ['a negative quantity', { quantity: -1 }, 'quantity'],
    ['a fractional quantity', { quantity: 1.5 }, 'quantity'],
    ['an unsafe quantity', { quantity: Number.MAX_SAFE_INTEGER + 1 }, 'quantity'],
    ['more requests than one event may count', { quantity: MAX_USAGE_QUANTITY + 1 }, 'quantity'],
    ['a quantity as a string', { quantity: '10' }, 'quantity'],
    ['a date without a time zone', { occurredAt: '2026-11-20T10:00:00' }, 'occurredAt'],
    ['a date only', { occurredAt: '2026-11-20' }, 'occurredAt'],
    ['an epoch number', { occurredAt: 1764000000 }, 'occurredAt'],
    ['an unknown field', { cost: 3 }, ''],
  ])('rejects %s', (_what, overrides, path) => {
    const result = usageEventSchema.safeParse(event(overrides));
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('rejects a missing field', () => {
    const { quantity: _omit, ...rest } = event();
    expect(usageEventSchema.safeParse(rest).success).toBe(false);
  });
});

describe('validateUsageBatch', () => {
  it('returns the parsed events of a valid batch, in order', () => {
    const events = [event({ id: 'a' }), event({ id: 'b', environment: 'sandbox' })];
    expect(validateUsageBatch({ events })).toEqual({ ok: true, events });
  });

  it('lists every offending event with its index, id and path, and nothing else', () => {
    const result = validateUsageBatch({
      events: [
        event({ id: 'good_1' }),
        event({ id: 'bad_quantity', quantity: -3 }),
        event({ id: 'good_2' }),
        event({ id: 'bad_two', family: 'nope', occurredAt: 'yesterday' }),
        { quantity: 1 },
        'not an event',
        event({ id: 'extra', note: 'x' }),
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const summary = result.errors.map(({ index, id, path }) => ({ index, id, path }));
    expect(summary).toEqual(
      expect.arrayContaining([
        { index: 1, id: 'bad_quantity', path: 'events.1.quantity' },
        { index: 3, id: 'bad_two', path: 'events.3.family' },
        { index: 3, id: 'bad_two', path: 'events.3.occurredAt' },
        { index: 4, id: null, path: 'events.4.id' },
        { index: 4, id: null, path: 'events.4.projectId' },
        { index: 5, id: null, path: 'events.5' },
        { index: 6, id: 'extra', path: 'events.6.note' },
      ]),
    );
    expect(new Set(result.errors.map((e) => e.index))).toEqual(new Set([1, 3, 4, 5, 6]));
    for (const error of result.errors) expect(error.message).toEqual(expect.any(String));
  });

  it('rejects an oversize batch with one error at events', () => {
    const events = Array.from({ length: MAX_USAGE_BATCH + 1 }, (_, i) => event({ id: `e${i}`, quantity: -1 }));
    const result = validateUsageBatch({ events });
    expect(result).toEqual({ ok: false, errors: [{ index: null, id: null, path: 'events', message: expect.stringMatching(/at most 1000/) }] });
  });

  it('accepts exactly 1,000 events', () => {
    const events = Array.from({ length: MAX_USAGE_BATCH }, (_, i) => event({ id: `e${i}` }));
    expect(validateUsageBatch({ events }).ok).toBe(true);
  });

  it.each([
    ['an empty batch', { events: [] }, 'events'],
    ['a missing events field', {}, 'events'],
    ['events that are not an array', { events: 'many' }, 'events'],
    ['a body that is not an object', 'events', 'events'],
    ['a body that is an array', [event()], 'events'],
    ['null', null, 'events'],
    ['an unknown top-level field', { events: [event()], dryRun: true }, 'dryRun'],
  ])('rejects %s at the batch level', (_what, body, path) => {
    const result = validateUsageBatch(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([expect.objectContaining({ index: null, id: null, path })]);
  });

  it('does not treat duplicate ids in one batch as an error', () => {
    const events = [event({ id: 'same', quantity: 1 }), event({ id: 'same', quantity: 2 })];
    expect(validateUsageBatch({ events })).toEqual({ ok: true, events });
  });

  it('agrees with usageBatchSchema on which batches are valid', () => {
    const field = fc.oneof(fc.constant(undefined), fc.string(), fc.integer(), fc.constant(null));
    const anyEvent = fc.record({
      id: fc.oneof(fc.string({ maxLength: 3 }), field),
      projectId: fc.oneof(fc.constant('p'), field),
      family: fc.oneof(fc.constantFrom(...Object.keys(REQUEST_FAMILIES)), field),
      environment: fc.oneof(fc.constantFrom(...ENVIRONMENTS), field),
      quantity: fc.oneof(fc.nat(), fc.integer(), fc.double()),
      occurredAt: fc.oneof(fc.constant('2026-11-20T10:00:00Z'), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), field),
    });
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 5 }), (events) => {
        const body = { events: events.map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined))) };
        const result = validateUsageBatch(body);
        expect(result.ok).toBe(usageBatchSchema.safeParse(body).success);
        if (!result.ok) expect(result.errors.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('firstOccurrences', () => {
  it('keeps the first event of each id and counts the rest as duplicates', () => {
    const events = [
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
      { id: 'a', n: 3 },
      { id: 'a', n: 4 },
    ];
    expect(firstOccurrences(events)).toEqual({ unique: [{ id: 'a', n: 1 }, { id: 'b', n: 2 }], duplicates: 2 });
  });

  it('unique + duplicates always accounts for every event, and unique ids are distinct', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd').map((id) => ({ id }))), (events) => {
        const { unique, duplicates } = firstOccurrences(events);
        expect(unique.length + duplicates).toBe(events.length);
        expect(new Set(unique.map((e) => e.id)).size).toBe(unique.length);
        expect(new Set(unique.map((e) => e.id))).toEqual(new Set(events.map((e) => e.id)));
      }),
    );
  });
});

test('a NUL character in an event id or projectId is refused (PostgreSQL text cannot store it; it was a 503)', () => {
  const event = { id: 'e1', projectId: 'p1', family: 'waf', environment: 'production', quantity: 1, occurredAt: '2026-01-01T00:00:00Z' };
  for (const bad of [{ ...event, id: 'e\u0000' }, { ...event, projectId: '\u0000p' }]) {
    const result = validateUsageBatch({ events: [bad] });
    expect(result.ok).toBe(false);
  }
  expect(validateUsageBatch({ events: [event] }).ok).toBe(true);
});
