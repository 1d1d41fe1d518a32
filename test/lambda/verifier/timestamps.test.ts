import { checkWindow, parseEpoch, verifySecondsTimestamp } from '../../../lambda/verifier/timestamps';
import { isRejection, reject } from '../../../lambda/verifier/schemes/types';

const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;

describe('reject / isRejection', () => {
  test('reject builds the rejection verbatim', () => {
    expect(reject(400, 'malformed_body', 'why')).toEqual({ ok: false, status: 400, code: 'malformed_body', detail: 'why' });
  });

  test.each([
    ['a rejection', reject(401, 'bad_signature', 'x'), true],
    ['any object with ok: false', { ok: false }, true],
    ['an object with ok: true', { ok: true }, false],
    ['an object without ok', {}, false],
    ['a number (a timestamp result)', 1_700_000_000_000, false],
    ['a string', 'ok', false],
    // reading .ok of these would throw, or (for a function) treat a non-object as a rejection
    ['null', null, false],
    ['undefined', undefined, false],
    ['a function with ok: false', Object.assign(() => undefined, { ok: false }), false],
  ])('%s -> %p', (_name, value, expected) => {
    expect(isRejection(value)).toBe(expected);
  });
});

describe('parseEpoch', () => {
  test.each([
    ['0', undefined, 0],
    ['1700000000', undefined, 1_700_000_000],
    ['1700000000000', undefined, 1_700_000_000_000], // 13 digits: the default maximum is allowed
    ['123', 3, 123], // exactly maxDigits
  ])('parses %p (max %p digits)', (input, maxDigits, expected) => {
    expect(parseEpoch(input, maxDigits)).toBe(expected);
  });

  test.each([
    ['undefined', undefined, undefined],
    ['empty', '', undefined],
    ['14 digits (default max 13)', '17000000000000', undefined],
    ['one digit over an explicit max', '1234', 3],
    ['a sign', '-1', undefined],
    ['a plus sign', '+1', undefined],
    ['an exponent', '1e3', undefined],
    ['a decimal point', '1.5', undefined],
    ['leading space', ' 1', undefined],
    ['trailing space', '1 ', undefined],
    ['hex', '0x10', undefined],
    ['"/" (just below "0")', '1/', undefined],
    ['":" (just above "9")', '1:', undefined],
  ])('refuses %s', (_name, input, maxDigits) => {
    expect(parseEpoch(input, maxDigits)).toBeUndefined();
  });
});

describe('checkWindow', () => {
  test.each([
    ['now', NOW_MS],
    ['exactly the tolerance old', NOW_MS - 300_000],
    ['exactly the tolerance ahead', NOW_MS + 300_000],
  ])('accepts a timestamp %s', (_name, timestampMs) => {
    expect(checkWindow(timestampMs, NOW_MS, 300)).toBeUndefined();
  });

  // The detail reaches the sender: it names the direction and the skew rounded to whole seconds.
  test.each([
    ['old, rounded down', NOW_MS - 301_400, 'signed timestamp is 301 s old; tolerance is 300 s'],
    ['old, rounded up', NOW_MS - 301_600, 'signed timestamp is 302 s old; tolerance is 300 s'],
    ['in the future', NOW_MS + 301_600, 'signed timestamp is 302 s in the future; tolerance is 300 s'],
    ['one millisecond too far ahead', NOW_MS + 300_001, 'signed timestamp is 300 s in the future; tolerance is 300 s'],
  ])('rejects a timestamp %s', (_name, timestampMs, detail) => {
    expect(checkWindow(timestampMs, NOW_MS, 300)).toEqual({ ok: false, status: 401, code: 'timestamp_out_of_window', detail });
  });
});

describe('verifySecondsTimestamp', () => {
  const malformed = { ok: false, status: 401, code: 'malformed_timestamp', detail: 'timestamp is not a whole number of seconds' };

  test('returns the timestamp in milliseconds when it is within the window', () => {
    expect(verifySecondsTimestamp(String(NOW_S - 10), NOW_MS, 300)).toBe(NOW_MS - 10_000);
  });

  test.each([
    ['absent', undefined],
    ['not digits', 'abc'],
    ['fractional', `${NOW_S}.0`],
    ['13 digits (milliseconds are not seconds)', String(NOW_MS)],
  ])('rejects a timestamp that is %s as malformed', (_name, raw) => {
    expect(verifySecondsTimestamp(raw, NOW_MS, 300)).toEqual(malformed);
  });

  test('passes on the window rejection', () => {
    expect(verifySecondsTimestamp(String(NOW_S - 400), NOW_MS, 300)).toEqual({
      ok: false, status: 401, code: 'timestamp_out_of_window', detail: 'signed timestamp is 400 s old; tolerance is 300 s',
    });
  });
});
