import { describe, expect, it } from 'vitest';
import { showJson } from '../../src/probes/target-text.js';

describe('showJson', () => {
  it('writes what JSON.stringify writes when it fits', () => {
    const values = [null, true, 0, -0, 1.5e-7, 'a "quoted"\n\u0001 string', [], {}, [1, [2, [3]], { a: null }]];
    for (const v of values) expect(showJson(v, 200)).toBe(JSON.stringify(v));
    expect(showJson({ a: 1, skipped: undefined, b: [undefined, Number.NaN] }, 200)).toBe('{"a":1,"b":[null,null]}');
  });

  it('cuts at max characters and marks the cut with the length of the whole, as excerpt does', () => {
    expect(showJson('abcdefgh', 5)).toBe('"abcd… (10 characters)');
    expect(showJson({ key: 'value' }, 8)).toBe('{"key":"… (15 characters)');
    expect(showJson([1, 2, 3], 5)).toBe('[1,2,… (7 characters)');
    expect(showJson('x'.repeat(1_000_000), 10)).toBe(`"${'x'.repeat(9)}… (1000002 characters)`);
    const mixed = { a: [1, null, 'q"\n\u0001'], b: { c: true, skipped: undefined }, d: [undefined, Number.NaN] };
    expect(showJson(mixed, 3)).toBe(`{"a… (${JSON.stringify(mixed).length} characters)`);
  });

  it('counts characters, not UTF-16 units: 😀 is one', () => {
    expect(showJson('😀'.repeat(300), 10)).toBe(`"${'😀'.repeat(9)}… (302 characters)`);
    expect(showJson({ '😀😀': ['😀'.repeat(150)] }, 200)).toBe(`{"😀😀":["${'😀'.repeat(150)}"]}`);
    expect(showJson({ '😀😀': ['😀'.repeat(200)] }, 10)).toBe('{"😀😀":["😀😀… (211 characters)');
  });

  it('shows the start of a value nested deeper than JSON.stringify can recurse', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(showJson(deep, 10)).toBe(`${'['.repeat(10)}… (200001 characters)`);
  });

  it('names a number beyond the range of a double instead of printing null', () => {
    expect(showJson(Number.POSITIVE_INFINITY, 80)).toBe('a number beyond the range of a double (±1.8e308)');
  });
});
