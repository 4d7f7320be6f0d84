import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { editDistance, matchKeyword } from '../../src/internal/fuzzy.ts';

describe('editDistance (optimal string alignment)', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('flihgts', 'flights', 2)).toBe(1);
    expect(editDistance('tommorow', 'tomorrow', 3)).toBe(2);
    expect(editDistance('kitten', 'sitting', 5)).toBe(3);
  });

  it('is symmetric, zero only on equal strings, and stops early past the bound', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = editDistance(a, b, 30);
        expect(editDistance(b, a, 30)).toBe(d);
        expect(d === 0).toBe(a === b);
        expect(editDistance(a, b, 1)).toBe(Math.min(d, 2));
      }),
    );
  });
});

describe('matchKeyword', () => {
  const keywords = ['groceries', 'restaurant', 'tomorrow', 'flights', 'table'];
  it('corrects typos in long keywords', () => {
    expect(matchKeyword('grocries', keywords)).toBe('groceries');
    expect(matchKeyword('resturant', keywords)).toBe('restaurant');
    expect(matchKeyword('tommorow', keywords)).toBe('tomorrow');
  });
  it('leaves short words alone, so a tablet is never a table', () => {
    expect(matchKeyword('tablet', keywords)).toBeUndefined();
    expect(matchKeyword('cable', keywords)).toBeUndefined();
  });
});
