import { copyBytes, filled } from '../../../lambda/verifier/bytes';

describe('copyBytes', () => {
  // 31 bytes are copied by the loop, 32 and more by Buffer#copy: both must copy exactly the range.
  test.each([0, 1, 31, 32, 33, 1000])('copies exactly a range of %i bytes to the offset, and returns the offset after it', (length) => {
    const source = Buffer.from(Array.from({ length: length + 7 }, (_, i) => (i * 37 + 11) % 256));
    const target = Buffer.alloc(length + 10, 0xee);
    expect(copyBytes(source, 3, 3 + length, target, 5)).toBe(5 + length);
    expect(target.subarray(5, 5 + length)).toEqual(source.subarray(3, 3 + length));
    expect([...target.subarray(0, 5), ...target.subarray(5 + length)]).toEqual(Array(10).fill(0xee));
  });
});

describe('filled', () => {
  test('returns the buffer when exactly its length was written', () => {
    const bytes = Buffer.alloc(3);
    expect(filled(bytes, 3)).toBe(bytes);
  });

  test.each([2, 4])('throws when %i bytes were written to a buffer of 3: a wrong size must never pass unnoticed', (written) => {
    expect(() => filled(Buffer.alloc(3), written)).toThrow(`${written} bytes written to a buffer of 3`);
  });
});
