import { describe, expect, it } from 'vitest';
import { characters, EXCERPT_CHARS, excerpt, head, quoted } from '../src/excerpt.js';

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
