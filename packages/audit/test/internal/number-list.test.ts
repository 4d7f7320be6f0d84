import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isRun, readCounts } from '../../src/internal/number-list.ts';

describe('isRun', () => {
  it('accepts exactly from, from+1, … with count numbers', () => {
    expect(isRun('7', 7, 1)).toBe(true);
    expect(isRun('98,99,100,101', 98, 4)).toBe(true);
    expect(isRun('', 0, 0)).toBe(true);
  });

  it('refuses a gap, a swap, a repeat, a marker, extra or missing numbers and stray characters', () => {
    for (const [text, from, count] of [
      ['1,3', 1, 2],
      ['2,1', 1, 2],
      ['1,1', 1, 2],
      ['1,-1,3', 1, 3],
      ['1,2,3', 1, 2],
      ['1,2', 1, 3],
      ['1,2,', 1, 2],
      [',1,2', 1, 2],
      ['1,,2', 1, 2],
      ['1, 2', 1, 2],
      ['01,2', 1, 2],
      ['1,2x', 1, 2],
      ['', 0, 1],
      ['0', 0, 0],
    ] as const)
      expect(isRun(text, from, count), text).toBe(false);
  });

  it('agrees with joining the expected run, for any start and permutation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        (from, count, seed) => {
          const run = Array.from({ length: count }, (_, k) => from + k);
          expect(isRun(run.join(','), from, count)).toBe(true);
          const i = seed % count;
          const j = (seed >> 8) % count;
          [run[i], run[j]] = [run[j]!, run[i]!];
          expect(isRun(run.join(','), from, count)).toBe(i === j);
        },
      ),
    );
  });
});

describe('readCounts', () => {
  it('reads numbers into the array and says how many', () => {
    const out = new Int32Array(4);
    expect(readCounts('312,0,5', out)).toBe(3);
    expect([...out.subarray(0, 3)]).toEqual([312, 0, 5]);
    expect(readCounts('', out)).toBe(0);
  });

  it('refuses anything but a plain list that fits', () => {
    const out = new Int32Array(2);
    for (const text of ['1,2,3', '1,', ',1', '-1', '1,,2', '1 ', '1234567890'])
      expect(readCounts(text, out), text).toBe(-1);
  });
});
