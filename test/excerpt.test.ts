import { describe, expect, it } from 'vitest';
import { characters, EXCERPT_CHARS, excerpt, head } from '../src/excerpt.js';

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
