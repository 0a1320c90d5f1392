import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../src/domain/duration';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['7d', 7 * DAY],
    ['36h', 36 * HOUR],
    ['90m', 90 * MINUTE],
    ['30s', 30 * SECOND],
    ['250ms', 250],
    ['0d', 0],
    ['0ms', 0],
    ['1ms', 1],
    ['1s', 1_000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['007s', 7_000],
    [' 7d ', 7 * DAY],
    ['\t3h\n', 3 * HOUR],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('"m" means minutes and "ms" milliseconds', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('5ms')).toBe(5);
  });

  it.each([
    '',
    ' ',
    '7',
    'd',
    '7 d',
    '7D',
    '7H',
    '1.5h',
    '-1s',
    '+1s',
    '1e3ms',
    '7w',
    '1y',
    '7days',
    '1h30m',
    'PT1H',
    '7d,3d',
    'ms',
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('formatDuration', () => {
  it.each([
    [7 * DAY, '7d'],
    [36 * HOUR, '36h'],
    [90 * MINUTE, '90m'],
    [30 * SECOND, '30s'],
    [250, '250ms'],
    [1_500, '1500ms'],
    [0, '0ms'],
    [24 * HOUR, '1d'],
    [60 * MINUTE, '1h'],
    [60 * SECOND, '1m'],
    [DAY + HOUR, '25h'],
  ])('%d ms → %j (largest whole unit)', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips every non-negative integer number of milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * DAY }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('parse then format gives the canonical form of the same duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd'), (n, unit) => {
        const ms = parseDuration(`${n}${unit}`)!;
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});
