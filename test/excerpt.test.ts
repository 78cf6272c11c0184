import { describe, expect, it } from 'vitest';
import { characters, EXCERPT_CHARS, excerpt, firstOf, head, jsonExcerpt, NAMES_SHOWN, quoted } from '../src/excerpt.js';

describe('excerpt', () => {
  it('keeps a short text as it is and cuts a long one, saying how long it was', () => {
    expect(excerpt('x'.repeat(EXCERPT_CHARS))).toBe('x'.repeat(EXCERPT_CHARS));
    expect(excerpt('x'.repeat(500_000))).toBe(`${'x'.repeat(EXCERPT_CHARS)}… (500000 characters)`);
    expect(excerpt('abcdef', 3)).toBe('abc… (6 characters)');
  });

  it('counts characters, not UTF-16 units: 😀 is one, kept whole at the cut', () => {
    expect(excerpt('ab😀cd', 2)).toBe('ab… (5 characters)');
    expect(excerpt('ab😀cd', 3)).toBe('ab😀… (5 characters)');
    expect(excerpt('ab😀cd', 5)).toBe('ab😀cd');
    const long = `${'S'.repeat(199)}${'😀'.repeat(5_000)}`;
    expect(excerpt(long)).toBe(`${'S'.repeat(199)}😀… (5199 characters)`);
    expect(excerpt('😀'.repeat(200))).toBe('😀'.repeat(200));
    expect(characters(long)).toBe(5_199);
    expect(characters('a\ud83dz')).toBe(3); // a lone surrogate is one
    expect(head('😀😀😀', 2)).toBe('😀😀');
  });
});

describe('quoted', () => {
  it('writes JSON.stringify of a text that fits, its escapes counted as shown', () => {
    const texts = ['', 'plain', 'a "q" \\ b\n\t\u0001', '😀', 'lone \ud83d'];
    for (const t of texts) expect(quoted(t)).toBe(JSON.stringify(t));
    expect(quoted('"'.repeat(100))).toBe(JSON.stringify('"'.repeat(100)));
  });

  it('cuts inside the quotes at max characters shown, never inside an escape, marking the length of the text', () => {
    expect(quoted('"'.repeat(5_000))).toBe(`"${'\\"'.repeat(100)}… (5000 characters)"`);
    expect(quoted('ab"cd', 3)).toBe('"ab… (5 characters)"');
    expect(quoted('ab\u0001cd', 7)).toBe('"ab… (5 characters)"');
    expect(quoted('ab\u0001cd', 8)).toBe('"ab\\u0001… (5 characters)"');
    expect(quoted('😀'.repeat(300))).toBe(`"${'😀'.repeat(200)}… (300 characters)"`);
  });
});

describe('jsonExcerpt', () => {
  const width = (text: string) => JSON.stringify(text).length;

  it('keeps a text that fits as JSON, and cuts one that does not to the most its width allows', () => {
    expect(jsonExcerpt('a"b', 6)).toBe('a"b');
    // One quote near the start costs one more character, not five sixths of the room (review r13s, D3).
    const text = `"${'k'.repeat(2_000)}`;
    const cut = jsonExcerpt(text, 1_000);
    expect(cut).toBe(`"${'k'.repeat(977)}… (2001 characters)`);
    expect(width(cut)).toBe(1_000);
  });

  it('counts escapes and characters of two UTF-16 units as JSON and String.length count them', () => {
    for (const unit of ['\u0001', '\\', '\n', '😀', '\ud800', 'é', 'x']) {
      const text = unit.repeat(3_000);
      const cut = jsonExcerpt(text, 1_000);
      expect(width(cut), unit).toBeLessThanOrEqual(1_000);
      expect(width(cut), unit).toBeGreaterThan(990);
      expect(cut.endsWith('… (3000 characters)'), unit).toBe(true);
      expect(cut.startsWith(unit.repeat(10)), unit).toBe(true);
    }
  });
});

describe('firstOf', () => {
  it('lists names up to the most shown, each cut by its width in JSON, then how many more', () => {
    expect(firstOf([])).toBe('');
    expect(firstOf(['a', 'b'])).toBe('a, b');
    const names = Array.from({ length: NAMES_SHOWN + 3 }, (_, i) => `n${i}`);
    expect(firstOf(names)).toBe(`${names.slice(0, NAMES_SHOWN).join(', ')} and 3 more`);
    expect(firstOf(['n'.repeat(EXCERPT_CHARS)])).toBe('n'.repeat(EXCERPT_CHARS));
    expect(firstOf(['n'.repeat(5_000)])).toBe(jsonExcerpt('n'.repeat(5_000), EXCERPT_CHARS + 2));
    // A name a source sent, of control characters: six wide each in JSON (review r13t, D2).
    const wide = Array.from({ length: NAMES_SHOWN }, () => '\u0001'.repeat(1_000));
    expect(JSON.stringify(firstOf(wide)).length).toBeLessThan(NAMES_SHOWN * (EXCERPT_CHARS + 4));
  });

  it('writes each name as it is asked to, cutting nothing more', () => {
    expect(firstOf(['p'.repeat(300), 'q'], (n) => quoted(n))).toBe(`${quoted('p'.repeat(300))}, "q"`);
  });
});
