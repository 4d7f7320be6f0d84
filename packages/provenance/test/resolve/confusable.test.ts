import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mixedScripts, nameKey, skeleton } from '../../src/index.ts';

describe('skeleton (UTS #39)', () => {
  it('maps look-alikes to one prototype', () => {
    // Examples from UTS #39 §4 and common homograph attacks.
    expect(skeleton('paypal')).toBe(skeleton('pаypal')); // Cyrillic а
    expect(skeleton('scope')).toBe(skeleton('ѕсоре')); // all Cyrillic
    expect(skeleton('l')).toBe(skeleton('1'));
    expect(skeleton('rn')).toBe(skeleton('m'));
    expect(skeleton('paypal')).not.toBe(skeleton('paypals'));
  });
});

describe('nameKey', () => {
  it('ignores case, spacing, punctuation and look-alike characters', () => {
    expect(nameKey('Аmazon')).toBe(nameKey('amazon'));
    expect(nameKey('Amaz0n')).toBe(nameKey('amazon'));
    expect(nameKey('WALMART')).toBe(nameKey('Wa1mart'));
    expect(nameKey('Whole Foods')).toBe(nameKey('whole-foods'));
    expect(nameKey('ｗａｌｍａｒｔ')).toBe(nameKey('walmart')); // fullwidth, through NFKC
    expect(nameKey('Target Hardware')).not.toBe(nameKey('Target'));
  });

  it('is unchanged when Latin letters are swapped for their Cyrillic twins', () => {
    const twins: Record<string, string> = { a: 'а', c: 'с', e: 'е', o: 'о', p: 'р', x: 'х', y: 'у' };
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz '.split('')),
          minLength: 1,
          maxLength: 30,
        }),
        (s) => {
          const swapped = [...s].map((ch) => twins[ch] ?? ch).join('');
          expect(nameKey(swapped)).toBe(nameKey(s));
        },
      ),
    );
  });
});

describe('mixedScripts', () => {
  it('flags Latin mixed with Cyrillic or Greek, not single scripts, digits or Japanese', () => {
    expect(mixedScripts('Аmazon')).toEqual(['Cyrillic', 'Latin']);
    expect(mixedScripts('Αpple')).toEqual(['Greek', 'Latin']);
    expect(mixedScripts('Amazon 24/7')).toEqual([]);
    expect(mixedScripts('Магазин')).toEqual([]);
    expect(mixedScripts('東京ストア')).toEqual([]);
    expect(mixedScripts('Café')).toEqual([]);
  });

  it('allows Latin with Han and kana, or Han and Hangul (UTS #39 highly restrictive), never with Cyrillic or Greek (review finding)', () => {
    for (const name of ['東京 Sushi Bar', 'ABCマート', 'Seoul 김밥', 'ソニー Store 東京']) expect(mixedScripts(name), name).toEqual([]);
    expect(mixedScripts('Москва Shop')).toEqual(['Cyrillic', 'Latin']);
    expect(mixedScripts('東京 Shоp')).not.toEqual([]); // a Cyrillic о among Latin and Han
  });
});
