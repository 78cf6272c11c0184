import { describe, expect, it } from 'vitest';
import { EXCERPT_CHARS, excerpt } from '../src/excerpt.js';

describe('excerpt', () => {
  it('keeps a short text as it is and cuts a long one, saying how long it was', () => {
    expect(excerpt('x'.repeat(EXCERPT_CHARS))).toBe('x'.repeat(EXCERPT_CHARS));
    expect(excerpt('x'.repeat(500_000))).toBe(`${'x'.repeat(EXCERPT_CHARS)}… (500000 characters)`);
    expect(excerpt('abcdef', 3)).toBe('abc… (6 characters)');
  });

  it('does not split a character of two UTF-16 units at the cut', () => {
    expect(excerpt('ab😀cd', 3)).toBe('ab… (6 characters)');
    expect(excerpt('ab😀cd', 4)).toBe('ab😀… (6 characters)');
  });
});
